//! Making thumbnails from bytes: images with the `image` crate under strict
//! limits (a decompression bomb fails fast instead of filling memory), PDFs
//! with an external renderer under a timeout. No database or store here.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use kura_core::thumbnail::{self, SMALL};
use std::io::Cursor;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Limits of one decode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecodeLimits {
    pub max_dimension: u32,
    pub max_pixels: u64,
    pub max_alloc: u64,
}

/// One rendition, or why there is none at that size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Made {
    /// An encoded thumbnail.
    Image {
        size: u32,
        bytes: Vec<u8>,
        content_type: &'static str,
        width: u32,
        height: u32,
    },
    /// The original stands in: it is small enough, or a thumbnail would be bigger.
    Original { size: u32, width: u32, height: u32 },
    /// Nothing to show at this size (an icon instead).
    Unsupported { size: u32, detail: String },
}

/// The content type of a decoded format, if thumbnails are made of it.
fn content_type_of(f: ImageFormat) -> Option<&'static str> {
    Some(match f {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::Png => "image/png",
        ImageFormat::Gif => "image/gif",
        ImageFormat::WebP => "image/webp",
        ImageFormat::Tiff => "image/tiff",
        ImageFormat::Bmp => "image/bmp",
        _ => return None,
    })
}

/// A reader of `bytes` with the format guessed from their start.
fn sniff(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, String> {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())
}

/// Decodes an image (the format is sniffed from the bytes, not the name) and
/// makes its renditions. Blocking and CPU-bound: run it off the runtime.
pub(crate) fn render_image(bytes: &[u8], lim: DecodeLimits) -> Result<Vec<Made>, String> {
    let reader = sniff(bytes)?;
    let ct = reader
        .format()
        .and_then(content_type_of)
        .ok_or("not an image of a supported format")?;
    // The header alone says how big the pixels would be: refuse before decoding.
    let (w, h) = reader.into_dimensions().map_err(|e| e.to_string())?;
    if w > lim.max_dimension || h > lim.max_dimension {
        return Err(format!(
            "{w}×{h} pixels is over the limit of {} per side",
            lim.max_dimension
        ));
    }
    if u64::from(w) * u64::from(h) > lim.max_pixels {
        return Err(format!("{w}×{h} pixels is over the pixel limit"));
    }
    let mut reader = sniff(bytes)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(lim.max_dimension);
    limits.max_image_height = Some(lim.max_dimension);
    limits.max_alloc = Some(lim.max_alloc);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let (w, h) = (img.width(), img.height());
    let source_len = bytes.len();
    let mut out = Vec::new();
    for size in thumbnail::sizes_for(ct, w, h) {
        if w.max(h) <= size && thumbnail::browser_shows(ct) {
            out.push(Made::Original {
                size,
                width: w,
                height: h,
            });
            continue;
        }
        let (tw, th) = thumbnail::fit(w, h, size);
        let small = img.thumbnail_exact(tw, th);
        let (bytes, content_type) = encode(&small)?;
        out.push(never_bigger(
            size,
            bytes,
            content_type,
            (tw, th),
            (w, h),
            source_len,
            thumbnail::browser_shows(ct),
        ));
    }
    Ok(out)
}

/// A thumbnail no bigger than the file it shows: when the encoded one is not
/// smaller, the original stands in (if browsers show it) or there is none.
fn never_bigger(
    size: u32,
    bytes: Vec<u8>,
    content_type: &'static str,
    (tw, th): (u32, u32),
    (w, h): (u32, u32),
    source_len: usize,
    original_shows: bool,
) -> Made {
    if bytes.len() < source_len {
        Made::Image {
            size,
            bytes,
            content_type,
            width: tw,
            height: th,
        }
    } else if original_shows {
        Made::Original {
            size,
            width: w,
            height: h,
        }
    } else {
        Made::Unsupported {
            size,
            detail: "a thumbnail would be larger than the file".into(),
        }
    }
}

/// JPEG for opaque images (small), PNG where there is transparency to keep.
fn encode(img: &DynamicImage) -> Result<(Vec<u8>, &'static str), String> {
    let mut buf = Vec::new();
    if img.color().has_alpha() {
        let enc = image::codecs::png::PngEncoder::new_with_quality(
            &mut buf,
            image::codecs::png::CompressionType::Best,
            image::codecs::png::FilterType::Adaptive,
        );
        img.write_with_encoder(enc).map_err(|e| e.to_string())?;
        Ok((buf, "image/png"))
    } else {
        let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 80);
        rgb.write_with_encoder(enc).map_err(|e| e.to_string())?;
        Ok((buf, "image/jpeg"))
    }
}

/// Most bytes read back from the PDF renderer (a 256 px JPEG is far smaller).
const PDF_OUTPUT_MAX: u64 = 4 << 20;

/// How the PDF renderer is run: the renderer, and util-linux's `prlimit`
/// (when installed) to cap its address space.
#[derive(Debug, Clone)]
pub(crate) struct PdfRenderer {
    pub renderer: std::path::PathBuf,
    pub prlimit: Option<std::path::PathBuf>,
    pub max_memory: u64,
}

impl PdfRenderer {
    fn command(&self) -> tokio::process::Command {
        match &self.prlimit {
            Some(p) => {
                let mut c = tokio::process::Command::new(p);
                c.arg(format!("--as={}", self.max_memory))
                    .arg("--")
                    .arg(&self.renderer);
                c
            }
            None => tokio::process::Command::new(&self.renderer),
        }
    }
}

/// Draws a PDF's first page as a JPEG of at most 256 px with poppler's
/// pdftoppm, fed on standard input and read from standard output: no
/// temporary files. Killed when `timeout` passes; its memory is capped when
/// `prlimit` is there.
pub(crate) async fn render_pdf(
    how: &PdfRenderer,
    pdf: bytes::Bytes,
    timeout: Duration,
) -> Result<Made, String> {
    let source_len = pdf.len();
    let run = async {
        let mut child = how
            .command()
            .args(["-f", "1", "-l", "1", "-singlefile", "-scale-to"])
            .arg(SMALL.to_string())
            // The PDF on standard input ("-"); with no output root, pdftoppm
            // writes the single page to standard output (a root of "-" would
            // make it write a file called "-.jpg").
            .args(["-jpeg", "-jpegopt", "quality=80", "-"])
            .current_dir(std::env::temp_dir())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start the PDF renderer: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        // Written and read at once: a renderer that writes before reading
        // everything must not block on a full pipe.
        let feed = async move {
            // A renderer that stops reading early (a broken PDF) is not an error here.
            stdin.write_all(&pdf).await.ok();
            drop(stdin);
        };
        let read = async move {
            let mut out = Vec::new();
            stdout
                .take(PDF_OUTPUT_MAX)
                .read_to_end(&mut out)
                .await
                .map(|_| out)
        };
        let ((), out) = tokio::join!(feed, read);
        let out = out.map_err(|e| e.to_string())?;
        let status = child.wait().await.map_err(|e| e.to_string())?;
        if !status.success() || out.is_empty() {
            return Err(format!("the PDF renderer failed ({status})"));
        }
        Ok(out)
    };
    let jpeg = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| "the PDF renderer timed out".to_string())??;
    let (w, h) = ImageReader::new(Cursor::new(&jpeg))
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .into_dimensions()
        .map_err(|e| e.to_string())?;
    Ok(never_bigger(
        SMALL,
        jpeg,
        "image/jpeg",
        (w, h),
        (w, h),
        source_len,
        false,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DecodeLimits {
        DecodeLimits {
            max_dimension: 10_000,
            max_pixels: 50_000_000,
            max_alloc: 256 << 20,
        }
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
        });
        let mut buf = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut buf), ImageFormat::Png)
            .unwrap();
        buf
    }

    #[test]
    fn a_large_png_gets_a_small_jpeg() {
        let src = png(1200, 600);
        let made = render_image(&src, limits()).unwrap();
        match made.as_slice() {
            [
                Made::Image {
                    size: 256,
                    bytes,
                    content_type: "image/jpeg",
                    width: 256,
                    height: 128,
                },
            ] => assert!(bytes.len() < src.len()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_small_png_is_its_own_thumbnail() {
        let made = render_image(&png(40, 30), limits()).unwrap();
        assert_eq!(
            made,
            vec![Made::Original {
                size: 256,
                width: 40,
                height: 30
            }]
        );
    }

    #[test]
    fn a_tiff_gets_a_preview_too() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            1500,
            1000,
            image::Rgb([200, 10, 10]),
        ));
        let mut tiff = Vec::new();
        img.write_to(&mut Cursor::new(&mut tiff), ImageFormat::Tiff)
            .unwrap();
        let made = render_image(&tiff, limits()).unwrap();
        let sizes: Vec<u32> = made
            .iter()
            .map(|m| match m {
                Made::Image { size, .. } => *size,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(sizes, vec![256, 1024]);
    }

    #[test]
    fn a_bomb_is_refused_from_its_header() {
        // A PNG header claiming 100000×100000 pixels (40 GB decoded).
        let mut src = png(1, 1);
        src[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        src[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&src[12..29]);
        src[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = render_image(&src, limits()).unwrap_err();
        assert!(err.contains("limit"), "{err}");
    }

    /// CRC-32 (IEEE), as PNG chunks carry it.
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in data {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    #[tokio::test]
    async fn a_stalled_pdf_renderer_is_killed_at_the_timeout() {
        let dir = std::env::temp_dir().join(format!("kura-pdf-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("stall.sh");
        let pidfile = dir.join("pid");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho $$ > {}\nexec sleep 30\n",
                pidfile.display()
            ),
        )
        .unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&script)
            .status()
            .unwrap();
        let started = std::time::Instant::now();
        let how = PdfRenderer {
            renderer: script.clone(),
            prlimit: None,
            max_memory: 1 << 30,
        };
        let err = render_pdf(
            &how,
            bytes::Bytes::from_static(b"%PDF-1.4"),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
        assert!(err.contains("timed out"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // kill_on_drop: the renderer does not live on.
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let alive = std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
            && !std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
                .unwrap_or_default()
                .contains(") Z ");
        assert!(!alive, "the renderer is still running");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn not_an_image() {
        assert!(render_image(b"hello, world", limits()).is_err());
    }
}
