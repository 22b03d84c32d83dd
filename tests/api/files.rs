//! Uploading, downloading, versions: the core of the file API.

use crate::common::*;

both!(upload_download_round_trip_keeps_japanese_names);

async fn upload_download_round_trip_keeps_japanese_names(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let body = "図面の内容 drawing content".as_bytes().to_vec();
    let r = put(&s, &u, "/設計/図面 A-1.pdf", body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let etag_hdr = r.headers()["etag"].to_str().unwrap().to_string();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "図面 A-1.pdf");
    assert_eq!(v["path"], "/設計/図面 A-1.pdf");
    assert_eq!(v["size"], body.len());
    assert_eq!(v["content_type"], "application/pdf");
    assert_eq!(etag_hdr, format!("\"{}\"", v["etag"].as_str().unwrap()));

    let r = get(&s, &u, "/設計/図面 A-1.pdf").await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-length"], body.len().to_string().as_str());
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["etag"].to_str().unwrap(), etag_hdr);
    assert!(h.contains_key("last-modified"));
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(
        cd.contains("filename*=UTF-8''%E5%9B%B3%E9%9D%A2%20A-1.pdf"),
        "{cd}"
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), body);

    // The folder listing shows the same name, NFC, unchanged.
    let r = client()
        .get(s.url(&format!("/api/v1/folders{}", enc("/設計"))))
        .bearer_auth(&u.token)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["items"][0]["name"], "図面 A-1.pdf");
    assert_eq!(v["items"][0]["kind"], "file");
}
