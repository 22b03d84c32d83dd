//! Thumbnails: made in the background after an upload, never bigger than the
//! file, bounded against decompression bombs, deleted with their file, and
//! served with the same checks as a download.

use crate::common::*;
use reqwest::Method;
use std::io::Cursor;
use std::time::Duration;

/// A noisy (so poorly compressible) RGB image encoded as `format`.
fn picture(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let mut x = 0x2545_F491_u32;
    let img = image::RgbImage::from_fn(w, h, |i, j| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgb([(i % 256) as u8, (j % 256) as u8, (x & 0xff) as u8])
    });
    let mut buf = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut buf), format)
        .unwrap();
    buf
}

/// CRC-32 (IEEE) of a PNG chunk.
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

/// A valid PNG whose header claims 100000×100000 pixels (40 GB decoded).
fn bomb() -> Vec<u8> {
    let mut p = picture(1, 1, image::ImageFormat::Png);
    p[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    p[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&p[12..29]);
    p[29..33].copy_from_slice(&crc.to_be_bytes());
    p
}

/// A one-page PDF of a blue rectangle, padded with a comment so that it is
/// larger than its thumbnail.
pub fn pdf() -> Vec<u8> {
    let content = b"0 0 1 rg 20 20 160 260 re f 1 0 0 rg 60 60 80 80 re f";
    let objs: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 300] /Contents 4 0 R >>".to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", content.len()).as_bytes(),
            content,
            b"\nendstream",
        ]
        .concat(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    for _ in 0..400 {
        out.extend_from_slice(b"% padding so that the file is larger than its thumbnail\n");
    }
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn thumb_url(path: &str, query: &str) -> String {
    format!("/api/v1/thumbnails{}{query}", enc(path))
}

/// Asks for a thumbnail until the background job has run (or 20 s pass):
/// the final answer.
async fn settled(s: &TestServer, u: &TestUser, path: &str) -> reqwest::Response {
    for _ in 0..200 {
        let r = call(s, u, Method::GET, &thumb_url(path, ""))
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::NOT_FOUND {
            return r;
        }
        let body: Value = r.json().await.unwrap();
        if body["thumbnail_status"] != "pending" {
            // Answer again so the caller can read the body.
            return call(s, u, Method::GET, &thumb_url(path, ""))
                .send()
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the thumbnail of {path} stayed pending");
}

/// The thumbnail's bytes, after asserting a 200 image no larger than `max_bytes`
/// and no larger than 256 px; returns (bytes, width, height).
async fn thumbnail_ok(r: reqwest::Response, max_bytes: usize) -> (Vec<u8>, u32, u32) {
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("image/"), "{ct}");
    assert!(r.headers().get("etag").is_some());
    let bytes = r.bytes().await.unwrap().to_vec();
    assert!(bytes.len() <= max_bytes, "{} > {max_bytes}", bytes.len());
    let img = image::load_from_memory(&bytes).unwrap();
    (bytes, img.width(), img.height())
}

/// Derived blobs (thumbnails) on disk.
fn derived_blobs(s: &TestServer) -> Vec<std::path::PathBuf> {
    s.blob_files()
        .into_iter()
        .filter(|p| p.parent().is_some_and(|d| d.ends_with("d")))
        .collect()
}

both!(
    images_get_small_thumbnails,
    a_decompression_bomb_gets_an_icon,
    other_files_have_no_thumbnail,
    thumbnails_go_with_their_file,
    thumbnails_stay_in_their_tenant,
    a_pdf_gets_a_first_page_thumbnail,
);

async fn images_get_small_thumbnails(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let png = picture(1200, 800, image::ImageFormat::Png);
    let jpeg = picture(900, 1600, image::ImageFormat::Jpeg);
    let small = picture(40, 30, image::ImageFormat::Png);
    put(&s, &u, "/写真/大きい.png", png.clone()).await;
    put(&s, &u, "/写真/縦.jpg", jpeg.clone()).await;
    put(&s, &u, "/写真/小さい.png", small.clone()).await;

    let (_, w, h) = thumbnail_ok(settled(&s, &u, "/写真/大きい.png").await, png.len()).await;
    assert_eq!((w, h), (256, 170));
    let r = settled(&s, &u, "/写真/縦.jpg").await;
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let (_, w, h) = thumbnail_ok(r, jpeg.len()).await;
    assert_eq!((w, h), (144, 256));
    // A small image is its own thumbnail: never bigger than the file.
    let (bytes, w, h) = thumbnail_ok(settled(&s, &u, "/写真/小さい.png").await, small.len()).await;
    assert_eq!((bytes, w, h), (small, 40, 30));

    // Conditional requests.
    let r = call(&s, &u, Method::GET, &thumb_url("/写真/縦.jpg", ""))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // A new version gets a new thumbnail (and a new etag).
    put(
        &s,
        &u,
        "/写真/縦.jpg",
        picture(600, 300, image::ImageFormat::Jpeg),
    )
    .await;
    let r = settled(&s, &u, "/写真/縦.jpg").await;
    assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
    let (_, w, h) = thumbnail_ok(r, jpeg.len()).await;
    assert_eq!((w, h), (256, 128));
    // TIFFs, which browsers do not show, also get a 1024 px rendition for previews.
    let tiff = picture(1500, 1000, image::ImageFormat::Tiff);
    put(&s, &u, "/写真/scan.tif", tiff.clone()).await;
    let (_, w, h) = thumbnail_ok(settled(&s, &u, "/写真/scan.tif").await, tiff.len()).await;
    assert_eq!((w, h), (256, 170));
    let r = call(
        &s,
        &u,
        Method::GET,
        &thumb_url("/写真/scan.tif", "?size=1024"),
    )
    .send()
    .await
    .unwrap();
    let (_, w, h) = {
        assert_eq!(r.status(), StatusCode::OK);
        let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
        ((), img.width(), img.height())
    };
    assert_eq!((w, h), (1024, 682));
    let r = call(&s, &u, Method::GET, &thumb_url("/写真/縦.jpg", "?size=5"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
}

async fn a_decompression_bomb_gets_an_icon(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/bomb.png", bomb()).await;
    let v = problem(
        settled(&s, &u, "/bomb.png").await,
        StatusCode::NOT_FOUND,
        "no_thumbnail",
    )
    .await;
    assert_eq!(v["thumbnail_status"], "failed", "{v}");
    // The server is fine and goes on making thumbnails.
    let r = client().get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let png = picture(800, 600, image::ImageFormat::Png);
    put(&s, &u, "/after.png", png.clone()).await;
    thumbnail_ok(settled(&s, &u, "/after.png").await, png.len()).await;
    assert_eq!(
        content(&s, &u, "/bomb.png").await,
        bomb(),
        "the file itself is kept"
    );
}

async fn other_files_have_no_thumbnail(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/notes.txt", "just text").await;
    put(&s, &u, "/broken.jpg", "not a jpeg at all").await;
    let v = problem(
        settled(&s, &u, "/notes.txt").await,
        StatusCode::NOT_FOUND,
        "no_thumbnail",
    )
    .await;
    assert_eq!(v["thumbnail_status"], "none");
    let v = problem(
        settled(&s, &u, "/broken.jpg").await,
        StatusCode::NOT_FOUND,
        "no_thumbnail",
    )
    .await;
    assert_eq!(v["thumbnail_status"], "failed");
    let r = call(&s, &u, Method::GET, &thumb_url("/missing.png", ""))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = call(&s, &u, Method::POST, "/api/v1/folders/dir")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = call(&s, &u, Method::GET, &thumb_url("/dir", ""))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT, "not_a_file").await;
    assert!(derived_blobs(&s).is_empty());
}

async fn thumbnails_go_with_their_file(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let png = picture(1000, 700, image::ImageFormat::Png);
    put(&s, &u, "/a.png", png.clone()).await;
    thumbnail_ok(settled(&s, &u, "/a.png").await, png.len()).await;
    put(&s, &u, "/dir/b.png", png.clone()).await;
    thumbnail_ok(settled(&s, &u, "/dir/b.png").await, png.len()).await;
    assert_eq!(derived_blobs(&s).len(), 2);
    let used = used_bytes(&s, &u).await;
    assert_eq!(
        used,
        2 * png.len() as i64,
        "thumbnails do not count against the capacity"
    );

    // The orphan sweep keeps recorded thumbnails and removes unrecorded ones
    // (a worker that died between storing and recording).
    let dir = derived_blobs(&s)[0].parent().unwrap().to_path_buf();
    let orphan = dir.join("0190f3a2b4c57d8e9f00112233445566");
    std::fs::write(&orphan, b"an unrecorded thumbnail").unwrap();
    s.clock.advance_ms(2 * 3_600_000);
    let report = s.svc.janitor_pass(true).await.unwrap();
    assert_eq!(report.orphan_blobs_deleted, 1);
    assert!(!orphan.exists());
    assert_eq!(derived_blobs(&s).len(), 2);

    // Purging a file deletes its thumbnail's blob.
    let id = trash(&s, &u, "/a.png").await;
    let r = call(&s, &u, Method::DELETE, &format!("/api/v1/trash/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap()["released_bytes"],
        png.len()
    );
    assert_eq!(derived_blobs(&s).len(), 1);
    // And a folder's purge those of the files below it.
    let r = call(&s, &u, Method::DELETE, "/api/v1/folders/dir")
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap();
    let r = call(&s, &u, Method::DELETE, &format!("/api/v1/trash/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(derived_blobs(&s).is_empty(), "{:?}", derived_blobs(&s));
    assert_eq!(used_bytes(&s, &u).await, 0);
    // Nothing is left for the janitor either.
    let report = s.svc.janitor_pass(false).await.unwrap();
    assert_eq!(report.queued_blobs_deleted, 0);
    assert!(s.blob_files().is_empty(), "{:?}", s.blob_files());
}

async fn thumbnails_stay_in_their_tenant(b: Backend) {
    let s = TestServer::start(b).await;
    let a = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("other", 1 << 30).await;
    let png = picture(600, 600, image::ImageFormat::Png);
    put(&s, &a, "/secret.png", png.clone()).await;
    thumbnail_ok(settled(&s, &a, "/secret.png").await, png.len()).await;
    let r = call(&s, &other, Method::GET, &thumb_url("/secret.png", ""))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = client()
        .get(s.url(&thumb_url("/secret.png", "")))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // Derived blobs (t/<tenant>/d/<id>) live under the owner's prefix, beside
    // its file blobs (t/<tenant>/b/<xx>/<id>).
    let d = derived_blobs(&s);
    assert_eq!(d.len(), 1);
    let tenant_dir = d[0].parent().unwrap().parent().unwrap();
    let owner_blob = s
        .blob_files()
        .into_iter()
        .find(|p| p.ancestors().nth(2).is_some_and(|x| x.ends_with("b")))
        .unwrap();
    assert_eq!(owner_blob.ancestors().nth(3).unwrap(), tenant_dir);
}

async fn a_pdf_gets_a_first_page_thumbnail(b: Backend) {
    if !std::path::Path::new("/usr/bin/pdftoppm").exists() {
        // scripts/test installs poppler-utils; without it PDFs get an icon.
        eprintln!("pdftoppm is not installed: skipping the PDF thumbnail test");
        return;
    }
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let doc = pdf();
    put(&s, &u, "/図面.pdf", doc.clone()).await;
    let r = settled(&s, &u, "/図面.pdf").await;
    if r.status() != StatusCode::OK {
        panic!("{}", r.text().await.unwrap());
    }
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let (bytes, w, h) = thumbnail_ok(r, doc.len()).await;
    assert_eq!((w, h), (171, 256));
    // The first page is drawn: the rectangle is blue.
    let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let px = img.get_pixel(40, 40);
    assert!(px[2] > 200 && px[0] < 60, "{px:?}");
    // A broken PDF gets an icon.
    put(&s, &u, "/broken.pdf", "%PDF-1.4 not really").await;
    let v = problem(
        settled(&s, &u, "/broken.pdf").await,
        StatusCode::NOT_FOUND,
        "no_thumbnail",
    )
    .await;
    assert!(v["thumbnail_status"] == "failed", "{v}");
}
