//! A private clamd per test: its own folder, signature database, config and
//! TCP port on loopback, killed when dropped. This machine cannot download
//! ClamAV's signatures, so each clamd gets the EICAR test signature (and any
//! the test adds). The test command installs Debian's clamav-daemon.

use kura_scan::ScanConfig;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The 68-byte EICAR anti-virus test file.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// Limits of a test clamd (clamd.conf syntax, e.g. `300M`).
#[derive(Debug, Clone)]
pub struct ClamdLimits {
    pub stream_max_length: &'static str,
    pub max_file_size: &'static str,
    pub max_scan_size: &'static str,
}

impl Default for ClamdLimits {
    fn default() -> Self {
        Self {
            stream_max_length: "300M",
            max_file_size: "300M",
            max_scan_size: "300M",
        }
    }
}

impl ClamdLimits {
    /// The same limit for the stream, a file and a scan.
    pub fn uniform(size: &'static str) -> Self {
        Self {
            stream_max_length: size,
            max_file_size: size,
            max_scan_size: size,
        }
    }
}

/// A running private clamd.
pub struct Clamd {
    pub dir: PathBuf,
    pub port: u16,
    limits: ClamdLimits,
    child: Option<Child>,
}

/// A free loopback port (bound and released; clamd binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn clamd_binary() -> PathBuf {
    for p in ["/usr/sbin/clamd", "/usr/bin/clamd", "/usr/local/sbin/clamd"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("clamd is not installed; scripts/test installs Debian's clamav-daemon")
}

impl Clamd {
    /// Starts a clamd with default limits (300M) on a free port.
    pub fn start() -> Self {
        Self::start_limits(ClamdLimits::default())
    }

    /// Starts a clamd with these limits on a free port. The port is free
    /// when picked but may be taken before clamd binds it (other tests pick
    /// ports too): then clamd starts again on another one.
    pub fn start_limits(limits: ClamdLimits) -> Self {
        let mut c = Self::prepare(limits, free_port());
        c.spawn(true);
        c
    }

    /// Starts a clamd with these limits on exactly `port`.
    pub fn start_with(limits: ClamdLimits, port: u16) -> Self {
        let mut c = Self::prepare(limits, port);
        c.spawn(false);
        c
    }

    fn prepare(limits: ClamdLimits, port: u16) -> Self {
        let dir =
            std::env::temp_dir().join(format!("kura-clamd-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("db")).unwrap();
        std::fs::write(dir.join("db/eicar.ndb"), ndb_line("Kura.Test.EICAR", EICAR)).unwrap();
        Self {
            dir,
            port,
            limits,
            child: None,
        }
    }

    /// Starts clamd and waits for its PING; `may_move`: on a port someone
    /// else took meanwhile, pick another (a few times).
    fn spawn(&mut self, may_move: bool) {
        for _ in 0..5 {
            match self.try_spawn() {
                Ok(()) => return,
                Err(log) if may_move && log.contains("Address already in use") => {
                    self.port = free_port();
                }
                Err(log) => {
                    self.kill();
                    panic!("clamd did not answer PING within 30 s; its log:\n{log}")
                }
            }
        }
        panic!("clamd found no free port in 5 tries");
    }

    /// One start: `Err(its log)` if it exited or did not answer in 30 s.
    fn try_spawn(&mut self) -> Result<(), String> {
        // Each start's own log, so an earlier start's error is not read again.
        std::fs::remove_file(self.dir.join("clamd.log")).ok();
        let d = self.dir.display();
        let l = &self.limits;
        let conf = format!(
            "Foreground yes\nDatabaseDirectory {d}/db\nTCPAddr 127.0.0.1\nTCPSocket {port}\n\
             LocalSocket {d}/clamd.sock\n\
             PidFile {d}/clamd.pid\nLogFile {d}/clamd.log\nStreamMaxLength {}\nMaxFileSize {}\n\
             MaxScanSize {}\nAlertExceedsMax yes\nScanArchive yes\nMaxThreads 4\n\
             ReadTimeout 60\nCommandReadTimeout 30\n",
            l.stream_max_length,
            l.max_file_size,
            l.max_scan_size,
            port = self.port,
        );
        std::fs::write(self.dir.join("clamd.conf"), conf).unwrap();
        let child = Command::new(clamd_binary())
            .arg("-c")
            .arg(self.dir.join("clamd.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("clamd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let log_path = self.dir.join("clamd.log");
        let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
        while Instant::now() < deadline {
            if self.ping() {
                return Ok(());
            }
            // A clamd whose TCP port was taken goes on serving its unix
            // socket only, and one that exited will not answer either.
            let l = log();
            if l.contains("Address already in use") {
                self.kill();
                return Err(l);
            }
            if let Some(c) = self.child.as_mut()
                && c.try_wait().ok().flatten().is_some()
            {
                self.child = None;
                return Err(l);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(log())
    }

    /// `tcp://127.0.0.1:<port>`
    pub fn address(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// `unix:<dir>/clamd.sock` (the same clamd over its unix socket).
    pub fn unix_address(&self) -> String {
        format!("unix:{}", self.dir.join("clamd.sock").display())
    }

    /// Kura's `[scan]` settings for this clamd (stream limit as configured here).
    pub fn scan_config(&self) -> ScanConfig {
        ScanConfig {
            clamd: self.address(),
            clamd_conf: Some(self.dir.join("clamd.conf")),
            connect_timeout_seconds: 2,
            io_timeout_seconds: 10,
            scan_timeout_seconds: 60,
            ..ScanConfig::default()
        }
    }

    /// True if clamd answers PING.
    pub fn ping(&self) -> bool {
        command(self.port, b"zPING\0").is_some_and(|r| r.starts_with(b"PONG"))
    }

    /// Kills clamd at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }

    /// Restarts a killed clamd on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn(false);
    }

    /// Adds a body signature and makes clamd load it (waits until it does).
    pub fn add_signature(&self, name: &str, pattern: &[u8]) {
        let file = self.dir.join(format!("db/{name}.ndb"));
        std::fs::write(file, ndb_line(name, pattern)).unwrap();
        let r = command(self.port, b"zRELOAD\0").unwrap_or_default();
        assert!(r.starts_with(b"RELOADING"), "RELOAD answered {r:?}");
        // The reload runs in the background; a probe scan tells when it is done.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if instream(self.port, pattern).is_some_and(|r| r.contains("FOUND")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("clamd did not load the new signature within 30 s");
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.kill();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// An `.ndb` line matching `pattern` anywhere in any file.
fn ndb_line(name: &str, pattern: &[u8]) -> String {
    let hex: String = pattern.iter().map(|b| format!("{b:02x}")).collect();
    format!("{name}:0:*:{hex}\n")
}

fn command(port: u16, cmd: &[u8]) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(cmd).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    Some(out)
}

/// Scans `data` with INSTREAM directly (used to wait for a reload).
fn instream(port: u16, data: &[u8]) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(b"zINSTREAM\0").ok()?;
    s.write_all(&u32::try_from(data.len()).ok()?.to_be_bytes())
        .ok()?;
    s.write_all(data).ok()?;
    s.write_all(&[0, 0, 0, 0]).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A port taken between picking and binding moves clamd to another
    /// one instead of failing the test that wanted a clamd.
    #[test]
    fn a_taken_port_moves_clamd_to_another() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let mut c = Clamd::prepare(ClamdLimits::default(), port);
        c.spawn(true);
        assert_ne!(c.port, port);
        assert!(c.ping());
    }
}
