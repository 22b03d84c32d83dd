//! The `[thumbnails]` settings: how much a thumbnail job may read, decode and
//! spend, and which PDF renderer it runs.

use serde::{Deserialize, Serialize};

/// Settings of the thumbnail jobs. Every field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThumbnailConfig {
    /// Run thumbnail jobs on this node (uploads still queue them when off, so
    /// another node can make them).
    pub enabled: bool,
    /// Jobs run at once on this node (each may hold a source file and its
    /// decoded pixels in memory).
    pub workers: u32,
    /// Files larger than this get no thumbnail (an icon instead).
    pub max_source_mb: u64,
    /// Images wider or taller than this are not decoded.
    pub max_dimension: u32,
    /// Images of more pixels than this (millions) are not decoded.
    pub max_megapixels: u64,
    /// Memory one decode may allocate (and the PDF renderer's address space).
    pub max_memory_mb: u64,
    /// Time one decode or PDF render may take.
    pub timeout_seconds: u64,
    /// The PDF renderer (poppler's `pdftoppm`), by name on PATH or by path;
    /// empty: PDFs get an icon.
    pub pdf_renderer: String,
    /// How often an idle worker looks for jobs queued by other nodes (its own
    /// node's uploads wake it at once).
    pub poll_seconds: u64,
}

impl Default for ThumbnailConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            workers: 1,
            max_source_mb: 100,
            max_dimension: 20_000,
            max_megapixels: 100,
            max_memory_mb: 512,
            timeout_seconds: 30,
            pdf_renderer: "pdftoppm".into(),
            poll_seconds: 10,
        }
    }
}

impl ThumbnailConfig {
    /// The PDF renderer's path if it is installed (looked up on PATH when
    /// given by name).
    pub fn pdf_renderer_path(&self) -> Option<std::path::PathBuf> {
        find_program(self.pdf_renderer.trim())
    }
}

/// A program by path, or by name on PATH; `None` if it is not there.
pub(crate) fn find_program(name: &str) -> Option<std::path::PathBuf> {
    if name.is_empty() {
        return None;
    }
    let p = std::path::Path::new(name);
    if p.components().count() > 1 {
        return p.is_file().then(|| p.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|c| c.is_file())
    })
}
