//! Streamed ZIP downloads at /api/v1/zip: entries, names (UTF-8 with the
//! language-encoding flag, or CP932), exact bytes, tickets bound to their
//! user, missing paths and the trash.

use crate::common::*;
use kura_core::Role;
use reqwest::Method;
use std::io::Read;

both!(
    zip_of_files_and_folders_keeps_japanese_names_and_bytes,
    cp932_names_decode_with_shift_jis,
    ticket_works_for_its_user_only_and_expires,
    missing_path_is_404,
    trashed_files_are_left_out,
);

async fn mkdir(s: &TestServer, u: &TestUser, path: &str) {
    let r = call(
        s,
        u,
        Method::POST,
        &format!("/api/v1/folders{}?parents=true", enc(path)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "mkdir {path}");
}

/// `POST /api/v1/zip`; returns the response.
async fn ticket(s: &TestServer, u: &TestUser, body: Value) -> reqwest::Response {
    call(s, u, Method::POST, "/api/v1/zip")
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A ticket's URL; asserts 201 and the answer's shape.
async fn zip_url(s: &TestServer, u: &TestUser, body: Value) -> String {
    let r = ticket(s, u, body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert!(v["expires"].as_str().unwrap().ends_with('Z'), "{v}");
    let url = v["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/api/v1/zip/"), "{url}");
    url
}

/// Downloads an archive; asserts 200 and returns it opened.
async fn download(
    s: &TestServer,
    u: &TestUser,
    url: &str,
) -> (
    reqwest::header::HeaderMap,
    zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
) {
    let r = call(s, u, Method::GET, url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    let bytes = r.bytes().await.unwrap().to_vec();
    (
        h,
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap(),
    )
}

/// (raw name, is dir, UTF-8 flag, bytes) of every entry, in archive order.
pub(crate) fn entries(
    z: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
) -> Vec<(Vec<u8>, bool, bool, Vec<u8>)> {
    let raw = z.clone().into_inner().into_inner();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let start = f.header_start() as usize;
            let flags = u16::from_le_bytes([raw[start + 6], raw[start + 7]]);
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name_raw().to_vec(), f.is_dir(), flags & 0x0800 != 0, data)
        })
        .collect()
}

async fn zip_of_files_and_folders_keeps_japanese_names_and_bytes(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let big = noise((3 << 20) + 5, 9);
    assert_eq!(
        put(&s, &u, "/設計/図面A.pdf", "図面の中身").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        put(&s, &u, "/設計/サブ/写真.jpg", big.clone())
            .await
            .status(),
        StatusCode::CREATED
    );
    mkdir(&s, &u, "/設計/空フォルダ").await;
    assert_eq!(
        put(&s, &u, "/メモ.txt", "memo").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        put(&s, &u, "/other/メモ.txt", "second memo").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        put(&s, &u, "/empty.txt", "").await.status(),
        StatusCode::CREATED
    );

    let url = zip_url(
        &s,
        &u,
        json!({"paths": ["/設計", "/メモ.txt", "/other/メモ.txt", "/empty.txt"], "name": "図面一式"}),
    )
    .await;
    let (h, mut z) = download(&s, &u, &url).await;
    assert_eq!(h["content-type"], "application/zip");
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(
        cd.contains("filename*=UTF-8''%E5%9B%B3%E9%9D%A2%E4%B8%80%E5%BC%8F.zip"),
        "{cd}"
    );
    let got = entries(&mut z);
    let names: Vec<String> = got
        .iter()
        .map(|e| String::from_utf8(e.0.clone()).unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    let mut want = vec![
        "設計/",
        "設計/図面A.pdf",
        "設計/サブ/",
        "設計/サブ/写真.jpg",
        "設計/空フォルダ/",
        "メモ.txt",
        "メモ (1).txt",
        "empty.txt",
    ];
    want.sort();
    assert_eq!(sorted, want);
    for (name, dir, utf8, data) in &got {
        let name = String::from_utf8(name.clone()).unwrap();
        assert!(utf8, "UTF-8 flag on {name}");
        assert_eq!(*dir, name.ends_with('/'), "{name}");
        let expected: &[u8] = match name.as_str() {
            "設計/図面A.pdf" => "図面の中身".as_bytes(),
            "設計/サブ/写真.jpg" => &big,
            "メモ.txt" => b"memo",
            "メモ (1).txt" => b"second memo",
            _ => b"",
        };
        assert_eq!(data.as_slice(), expected, "{name}");
    }
    // Parents come before what they hold.
    let pos = |n: &str| names.iter().position(|x| x == n).unwrap();
    assert!(pos("設計/") < pos("設計/サブ/"));
    assert!(pos("設計/サブ/") < pos("設計/サブ/写真.jpg"));

    // One audit event for the download, with the count.
    s.svc.flush_audit().await;
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events: Vec<_> = s
        .svc
        .db()
        .audit_events(t.id, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "zip.download")
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].target.as_deref(), Some("図面一式.zip"));
    assert!(
        events[0]
            .detail
            .as_deref()
            .unwrap()
            .starts_with("5 files, 3 folders"),
        "{:?}",
        events[0].detail
    );
}

async fn cp932_names_decode_with_shift_jis(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    assert_eq!(
        put(&s, &u, "/資料/見積書①.xlsx", "x").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        put(&s, &u, "/資料/ﾊﾝｶｸ.txt", "y").await.status(),
        StatusCode::CREATED
    );
    let url = zip_url(
        &s,
        &u,
        json!({"paths": ["/資料"], "name_encoding": "cp932"}),
    )
    .await;
    let (_, mut z) = download(&s, &u, &url).await;
    let got = entries(&mut z);
    let mut names = Vec::new();
    for (raw, _, utf8, _) in &got {
        assert!(!utf8, "no UTF-8 flag in cp932 mode");
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(raw);
        assert!(!bad);
        assert_ne!(
            std::str::from_utf8(raw).ok(),
            Some(text.as_ref()),
            "really Shift_JIS bytes"
        );
        names.push(text.to_string());
    }
    let mut want = vec!["資料/", "資料/ﾊﾝｶｸ.txt", "資料/見積書①.xlsx"];
    want.sort();
    names.sort();
    assert_eq!(names, want);

    // A name CP932 cannot hold is refused, naming it.
    assert_eq!(
        put(&s, &u, "/資料/絵文字😀.txt", "z").await.status(),
        StatusCode::CREATED
    );
    let r = ticket(
        &s,
        &u,
        json!({"paths": ["/資料"], "name_encoding": "cp932"}),
    )
    .await;
    let p = problem(r, StatusCode::BAD_REQUEST, "name_not_encodable").await;
    assert_eq!(p["paths"], json!(["資料/絵文字😀.txt"]));
    let r = ticket(
        &s,
        &u,
        json!({"paths": ["/資料"], "name_encoding": "latin1"}),
    )
    .await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    // UTF-8 takes it.
    let url = zip_url(&s, &u, json!({"paths": ["/資料"]})).await;
    let (_, z) = download(&s, &u, &url).await;
    assert_eq!(z.len(), 4);
}

async fn ticket_works_for_its_user_only_and_expires(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("other", 1 << 30).await;
    let colleague = s.user("acme", "colleague", Role::Member).await;
    assert_eq!(
        put(&s, &u, "/a.txt", "a").await.status(),
        StatusCode::CREATED
    );
    let url = zip_url(&s, &u, json!({"paths": ["/a.txt"]})).await;
    for stranger in [&other, &colleague] {
        let r = call(&s, stranger, Method::GET, &url).send().await.unwrap();
        problem(r, StatusCode::NOT_FOUND, "not_found").await;
    }
    let r = client().get(s.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The owner can use it (twice: a browser may retry)...
    let (_, z) = download(&s, &u, &url).await;
    assert_eq!(z.len(), 1);
    let (_, z) = download(&s, &u, &url).await;
    assert_eq!(z.len(), 1);
    // ...for ten minutes.
    s.clock.advance_ms(11 * 60_000);
    let r = call(&s, &u, Method::GET, &url).send().await.unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = call(&s, &u, Method::GET, "/api/v1/zip/not-a-ticket")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
}

async fn missing_path_is_404(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    assert_eq!(
        put(&s, &u, "/a.txt", "a").await.status(),
        StatusCode::CREATED
    );
    let r = ticket(&s, &u, json!({"paths": ["/a.txt", "/無い/ファイル.txt"]})).await;
    let p = problem(r, StatusCode::NOT_FOUND, "not_found").await;
    assert!(
        p["detail"].as_str().unwrap().contains("/無い/ファイル.txt"),
        "{p}"
    );
    let r = ticket(&s, &u, json!({"paths": []})).await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = ticket(&s, &u, json!({"paths": ["/../x"]})).await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_path").await;
}

async fn trashed_files_are_left_out(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    assert_eq!(
        put(&s, &u, "/f/keep.txt", "keep").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        put(&s, &u, "/f/drop.txt", "drop").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        put(&s, &u, "/f/sub/deep.txt", "deep").await.status(),
        StatusCode::CREATED
    );
    trash(&s, &u, "/f/drop.txt").await;
    let r = call(
        &s,
        &u,
        Method::DELETE,
        &format!("/api/v1/folders{}", enc("/f/sub")),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let url = zip_url(&s, &u, json!({"paths": ["/f"]})).await;
    let (_, mut z) = download(&s, &u, &url).await;
    let mut names: Vec<String> = entries(&mut z)
        .into_iter()
        .map(|e| String::from_utf8(e.0).unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["f/", "f/keep.txt"]);
    let r = ticket(&s, &u, json!({"paths": ["/f/drop.txt"]})).await;
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    // The whole tenant from the root.
    let url = zip_url(&s, &u, json!({"paths": ["/"]})).await;
    let (_, z) = download(&s, &u, &url).await;
    assert_eq!(z.len(), 2);
}

/// More than 65,535 entries need the ZIP64 end records; the encoder's output
/// (the same functions the download streams) must still open and list all.
#[test]
fn zip64_end_records_for_70000_entries() {
    use kura_core::zip_format::{self, CentralRecord, ZipEntry};
    let n = 70_000u64;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for i in 0..n {
        let e = ZipEntry {
            name: format!("d/ファイル{i}.txt").into_bytes(),
            utf8: true,
            dir: false,
            dos_time: 0,
            dos_date: 0x21,
            zip64: i == 7,
        };
        let offset = out.len() as u64;
        out.extend(zip_format::local_header(&e));
        out.extend(zip_format::data_descriptor(&e, 0, 0));
        central.push(CentralRecord {
            entry: e,
            crc: 0,
            size: 0,
            offset,
        });
    }
    let cd_offset = out.len() as u64;
    for r in &central {
        out.extend(zip_format::central_header(r));
    }
    let cd_size = out.len() as u64 - cd_offset;
    out.extend(zip_format::end_records(n, cd_offset, cd_size));
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(out)).unwrap();
    assert_eq!(z.len() as u64, n);
    let f = z.by_index(69_999).unwrap();
    assert_eq!(f.name().unwrap(), "d/ファイル69999.txt");
    assert_eq!(f.size(), 0);
    drop(f);
    assert_eq!(z.by_index(7).unwrap().name().unwrap(), "d/ファイル7.txt");
}
