//! The clamd scanner: INSTREAM over TCP or a unix socket, with timeouts and a
//! limit on concurrent scans.
//!
//! Connections, PING, VERSION and RELOAD go through the clamav-client crate.
//! The INSTREAM exchange itself is written here because clamav-client's
//! `scan_stream` has no timeouts and loses clamd's reply when clamd closes the
//! stream early (over StreamMaxLength it answers `INSTREAM size limit
//! exceeded. ERROR` and hangs up, so the client sees a broken pipe): here a
//! failed write is followed by an attempt to read that reply.

use crate::config::{ClamdAddress, ScanConfig};
use crate::reply::{Verdict, parse_reply};
use crate::{ScanError, Scanner};
use bytes::Bytes;
use clamav_client::tokio::{Socket, Tcp, TransportProtocol};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::timeout;

/// Bytes per INSTREAM chunk (clamd reads each into its own buffer).
const CHUNK: usize = 64 << 10;
/// Replies are one short line.
const MAX_REPLY: u64 = 4096;
/// How long to wait for clamd's explanation after it hung up on a write.
const REPLY_AFTER_ERROR: Duration = Duration::from_secs(2);

/// A clamd daemon reached over TCP or a unix socket.
pub struct ClamdScanner {
    addr: ClamdAddress,
    connect_timeout: Duration,
    io_timeout: Duration,
    scan_timeout: Duration,
    slots: Arc<Semaphore>,
    stream_max: u64,
}

trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

impl ClamdScanner {
    /// A scanner as the `[scan]` section describes it.
    pub fn new(cfg: &ScanConfig) -> Result<Self, String> {
        Ok(Self {
            addr: ClamdAddress::parse(&cfg.clamd)?,
            connect_timeout: Duration::from_secs(cfg.connect_timeout_seconds.max(1)),
            io_timeout: Duration::from_secs(cfg.io_timeout_seconds.max(1)),
            scan_timeout: Duration::from_secs(cfg.scan_timeout_seconds.max(1)),
            slots: Arc::new(Semaphore::new(cfg.max_concurrent.max(1))),
            stream_max: cfg.resolved_stream_max_length()?,
        })
    }

    async fn connect(&self) -> Result<Box<dyn Conn>, ScanError> {
        let fut = async {
            match &self.addr {
                ClamdAddress::Tcp(a) => {
                    let s = Tcp {
                        host_address: a.as_str(),
                    }
                    .connect()
                    .await?;
                    s.set_nodelay(true).ok();
                    Ok::<Box<dyn Conn>, std::io::Error>(Box::new(s))
                }
                ClamdAddress::Unix(p) => {
                    let s = Socket { socket_path: p }.connect().await?;
                    Ok::<Box<dyn Conn>, std::io::Error>(Box::new(s))
                }
            }
        };
        match timeout(self.connect_timeout, fut).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(ScanError::Unavailable(format!(
                "cannot connect to clamd at {}: {e}",
                self.addr
            ))),
            Err(_) => Err(ScanError::Timeout(format!(
                "connecting to clamd at {} took longer than {:?}",
                self.addr, self.connect_timeout
            ))),
        }
    }

    /// Sends a one-word command (`zPING\0`, `zVERSION\0`) and reads the reply.
    async fn command(&self, cmd: &str) -> Result<Vec<u8>, ScanError> {
        let io = async {
            match &self.addr {
                ClamdAddress::Tcp(a) => {
                    let c = Tcp {
                        host_address: a.as_str(),
                    };
                    match cmd {
                        "PING" => clamav_client::tokio::ping(c).await,
                        "RELOAD" => clamav_client::tokio::reload(c).await,
                        _ => clamav_client::tokio::get_version(c).await,
                    }
                }
                ClamdAddress::Unix(p) => {
                    let c = Socket { socket_path: p };
                    match cmd {
                        "PING" => clamav_client::tokio::ping(c).await,
                        "RELOAD" => clamav_client::tokio::reload(c).await,
                        _ => clamav_client::tokio::get_version(c).await,
                    }
                }
            }
        };
        match timeout(self.connect_timeout + self.io_timeout, io).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(ScanError::Unavailable(format!(
                "clamd at {}: {e}",
                self.addr
            ))),
            Err(_) => Err(ScanError::Timeout(format!(
                "clamd at {} did not answer {cmd}",
                self.addr
            ))),
        }
    }

    /// Asks clamd to reload its signature database (used after updates and by tests).
    pub async fn reload(&self) -> Result<(), ScanError> {
        let r = self.command("RELOAD").await?;
        if r.starts_with(b"RELOADING") {
            Ok(())
        } else {
            Err(ScanError::Protocol(
                String::from_utf8_lossy(&r).trim_end_matches('\0').into(),
            ))
        }
    }

    async fn write(&self, w: &mut BufWriter<Box<dyn Conn>>, bytes: &[u8]) -> Result<(), WriteFail> {
        match timeout(self.io_timeout, w.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(WriteFail::Io(e)),
            Err(_) => Err(WriteFail::Timeout),
        }
    }

    /// Reads the NUL-terminated reply (or until clamd closes).
    async fn read_reply(conn: &mut BufWriter<Box<dyn Conn>>) -> std::io::Result<Vec<u8>> {
        let mut reply = Vec::new();
        let mut limited = conn.get_mut().take(MAX_REPLY);
        let mut buf = [0u8; 512];
        loop {
            let n = limited.read(&mut buf).await?;
            let Some(got) = buf.get(..n) else { break };
            if n == 0 {
                break;
            }
            reply.extend_from_slice(got);
            if got.contains(&0) {
                break;
            }
        }
        Ok(reply)
    }

    /// clamd hung up or stopped reading while we were sending: it may have
    /// said why (a stream limit), or it may be gone.
    async fn after_write_failure(
        &self,
        mut conn: BufWriter<Box<dyn Conn>>,
        fail: WriteFail,
    ) -> Result<Verdict, ScanError> {
        if let WriteFail::Timeout = fail {
            return Err(ScanError::Timeout(format!(
                "clamd at {} stopped reading for {:?}",
                self.addr, self.io_timeout
            )));
        }
        if let Ok(Ok(reply)) = timeout(REPLY_AFTER_ERROR, Self::read_reply(&mut conn)).await
            && let Some(v @ Verdict::LimitExceeded(_)) = parse_reply(&reply)
        {
            return Ok(v);
        }
        let WriteFail::Io(e) = fail else {
            return Err(ScanError::Unavailable("clamd connection lost".into()));
        };
        Err(ScanError::Unavailable(format!(
            "clamd at {} broke off the scan: {e}",
            self.addr
        )))
    }
}

enum WriteFail {
    Io(std::io::Error),
    Timeout,
}

#[async_trait::async_trait]
impl Scanner for ClamdScanner {
    async fn scan(&self, mut chunks: mpsc::Receiver<Bytes>) -> Result<Verdict, ScanError> {
        // Waiting for a slot holds the upload back (the channel fills), which
        // is the point: clamd's threads are the scarce resource.
        let _slot = match timeout(self.scan_timeout, self.slots.acquire()).await {
            Ok(Ok(p)) => p,
            Ok(Err(_)) => return Err(ScanError::Unavailable("scanner shut down".into())),
            Err(_) => {
                return Err(ScanError::Timeout(
                    "no scan slot became free in time".into(),
                ));
            }
        };
        let conn = self.connect().await?;
        let mut w = BufWriter::with_capacity(4 * CHUNK, conn);
        if let Err(f) = self.write(&mut w, b"zINSTREAM\0").await {
            return self.after_write_failure(w, f).await;
        }
        while let Some(bytes) = chunks.recv().await {
            for piece in bytes.chunks(CHUNK) {
                let len = u32::try_from(piece.len()).unwrap_or(u32::MAX).to_be_bytes();
                if let Err(f) = self.write(&mut w, &len).await {
                    return self.after_write_failure(w, f).await;
                }
                if let Err(f) = self.write(&mut w, piece).await {
                    return self.after_write_failure(w, f).await;
                }
            }
        }
        // The sender is done (or gone); end the stream and wait for the verdict.
        drop(chunks);
        if let Err(f) = self.write(&mut w, &[0, 0, 0, 0]).await {
            return self.after_write_failure(w, f).await;
        }
        match timeout(self.io_timeout, w.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return self.after_write_failure(w, WriteFail::Io(e)).await,
            Err(_) => return self.after_write_failure(w, WriteFail::Timeout).await,
        }
        let reply = match timeout(self.scan_timeout, Self::read_reply(&mut w)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                return Err(ScanError::Unavailable(format!(
                    "clamd at {} broke off before its verdict: {e}",
                    self.addr
                )));
            }
            Err(_) => {
                return Err(ScanError::Timeout(format!(
                    "clamd at {} gave no verdict within {:?}",
                    self.addr, self.scan_timeout
                )));
            }
        };
        if reply.is_empty() {
            return Err(ScanError::Unavailable(format!(
                "clamd at {} closed the connection without a verdict",
                self.addr
            )));
        }
        parse_reply(&reply).ok_or_else(|| {
            ScanError::Protocol(
                String::from_utf8_lossy(&reply)
                    .trim_end_matches('\0')
                    .to_string(),
            )
        })
    }

    async fn ping(&self) -> Result<(), ScanError> {
        let r = self.command("PING").await?;
        if r.as_slice() == clamav_client::PONG {
            Ok(())
        } else {
            Err(ScanError::Protocol(
                String::from_utf8_lossy(&r).trim_end_matches('\0').into(),
            ))
        }
    }

    async fn version(&self) -> Result<String, ScanError> {
        let r = self.command("VERSION").await?;
        let v = String::from_utf8_lossy(&r)
            .trim_end_matches(['\0', '\n'])
            .to_string();
        if v.starts_with("ClamAV") {
            Ok(v)
        } else {
            Err(ScanError::Protocol(v))
        }
    }

    fn stream_max_length(&self) -> u64 {
        self.stream_max
    }

    fn describe(&self) -> String {
        format!("clamd at {}", self.addr)
    }
}
