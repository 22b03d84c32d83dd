//! Which files get thumbnails, at which sizes, and the rules they follow
//! (a thumbnail is never bigger than the file it shows).

/// The grid and list thumbnail: longest side in pixels.
pub const SMALL: u32 = 256;
/// The preview rendition made for images browsers cannot show (TIFF).
pub const LARGE: u32 = 1024;

/// What a thumbnail is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A raster image the image decoder reads.
    Image,
    /// A PDF, whose first page an external renderer draws.
    Pdf,
}

/// Content types that get a thumbnail job.
pub const CONTENT_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/tiff",
    "image/bmp",
    "application/pdf",
];

/// Image types every supported browser shows by itself (so the original can
/// stand in for a thumbnail, and the preview shows the original).
const BROWSER_IMAGES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/bmp",
];

/// The source kind of a content type, if it gets thumbnails.
pub fn source_of(content_type: Option<&str>) -> Option<Source> {
    let ct = content_type?;
    if !CONTENT_TYPES.contains(&ct) {
        return None;
    }
    Some(if ct == "application/pdf" {
        Source::Pdf
    } else {
        Source::Image
    })
}

/// Whether browsers show this content type as an image by themselves.
pub fn browser_shows(content_type: &str) -> bool {
    BROWSER_IMAGES.contains(&content_type)
}

/// The size that fits `w`×`h` within `max`×`max`, keeping the aspect ratio
/// (never upscaled, never zero).
pub fn fit(w: u32, h: u32, max: u32) -> (u32, u32) {
    if w <= max && h <= max {
        return (w.max(1), h.max(1));
    }
    let (w64, h64, m64) = (u64::from(w), u64::from(h), u64::from(max));
    let (nw, nh) = if w >= h {
        (m64, (h64 * m64 / w64.max(1)).max(1))
    } else {
        ((w64 * m64 / h64.max(1)).max(1), m64)
    };
    (
        u32::try_from(nw).unwrap_or(max),
        u32::try_from(nh).unwrap_or(max),
    )
}

/// The renditions to make of an image of this type and size: the small one
/// always; the large one only for types browsers cannot show, bigger than it.
pub fn sizes_for(content_type: &str, w: u32, h: u32) -> Vec<u32> {
    let mut out = vec![SMALL];
    if !browser_shows(content_type) && w.max(h) > SMALL {
        out.push(LARGE);
    }
    out
}

/// The rendition to serve for a request of `asked` pixels among those made:
/// the largest not above it, else the smallest.
pub fn pick(made: &[u32], asked: u32) -> Option<u32> {
    made.iter()
        .copied()
        .filter(|s| *s <= asked)
        .max()
        .or_else(|| made.iter().copied().min())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_within_the_box() {
        assert_eq!(fit(4000, 3000, 256), (256, 192));
        assert_eq!(fit(300, 3000, 256), (25, 256));
        assert_eq!(fit(100, 50, 256), (100, 50));
        assert_eq!(fit(100_000, 1, 256), (256, 1));
    }

    #[test]
    fn only_known_types() {
        assert_eq!(source_of(Some("image/png")), Some(Source::Image));
        assert_eq!(source_of(Some("application/pdf")), Some(Source::Pdf));
        assert_eq!(source_of(Some("image/svg+xml")), None);
        assert_eq!(source_of(None), None);
        assert_eq!(sizes_for("image/tiff", 2000, 100), vec![SMALL, LARGE]);
        assert_eq!(sizes_for("image/jpeg", 2000, 100), vec![SMALL]);
        assert_eq!(pick(&[256, 1024], 1024), Some(1024));
        assert_eq!(pick(&[256, 1024], 512), Some(256));
        assert_eq!(pick(&[256], 64), Some(256));
    }
}
