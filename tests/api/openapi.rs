//! The OpenAPI document at `/api/v1/openapi.json` against the server it describes:
//! every documented operation is routed and answers as documented, every route of
//! `crates/http/src/api/mod.rs` is documented, and every stable error code is listed.

use crate::common::*;
use kura_service::ServiceError;
use std::collections::{BTreeMap, BTreeSet};

/// Every route of `crates/http/src/api/mod.rs`, written as there (`{*path}` is a
/// wildcard). Adding a route means adding it here and to the document.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/session/otp"),
    ("GET", "/api/v1/me/otp"),
    ("POST", "/api/v1/me/otp"),
    ("DELETE", "/api/v1/me/otp"),
    ("POST", "/api/v1/me/otp/confirm"),
    ("POST", "/api/v1/me/otp/recovery-codes"),
    ("DELETE", "/api/v1/users/{id}/otp"),
    ("GET", "/api/v1/files/{*path}"),
    ("PUT", "/api/v1/files/{*path}"),
    ("DELETE", "/api/v1/files/{*path}"),
    ("PATCH", "/api/v1/files/{*path}"),
    ("GET", "/api/v1/thumbnails/{*path}"),
    ("GET", "/api/v1/attributes"),
    ("POST", "/api/v1/attributes"),
    ("POST", "/api/v1/attributes/bulk"),
    ("GET", "/api/v1/attributes/export"),
    ("POST", "/api/v1/attributes/import"),
    ("PATCH", "/api/v1/attributes/{key}"),
    ("DELETE", "/api/v1/attributes/{key}"),
    ("POST", "/api/v1/search"),
    ("GET", "/api/v1/saved-searches"),
    ("POST", "/api/v1/saved-searches"),
    ("DELETE", "/api/v1/saved-searches/{id}"),
    ("GET", "/api/v1/folders"),
    ("GET", "/api/v1/folders/"),
    ("GET", "/api/v1/folders/{*path}"),
    ("POST", "/api/v1/folders/{*path}"),
    ("DELETE", "/api/v1/folders/{*path}"),
    ("GET", "/api/v1/versions/{*path}"),
    ("POST", "/api/v1/versions/{*path}"),
    ("POST", "/api/v1/zip"),
    ("GET", "/api/v1/zip/{token}"),
    ("OPTIONS", "/api/v1/uploads"),
    ("POST", "/api/v1/uploads"),
    ("HEAD", "/api/v1/uploads/{id}"),
    ("PATCH", "/api/v1/uploads/{id}"),
    ("DELETE", "/api/v1/uploads/{id}"),
    ("POST", "/api/v1/move"),
    ("POST", "/api/v1/copy"),
    ("GET", "/api/v1/trash"),
    ("DELETE", "/api/v1/trash"),
    ("DELETE", "/api/v1/trash/{id}"),
    ("POST", "/api/v1/trash/{id}/restore"),
    ("GET", "/api/v1/tokens"),
    ("POST", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/{id}"),
    ("GET", "/api/v1/usage"),
    ("GET", "/api/v1/detections"),
    ("GET", "/api/v1/admin/scanner"),
    ("GET", "/api/v1/tenant/policy"),
    ("PUT", "/api/v1/tenant/policy"),
    ("GET", "/api/v1/tenants/{code}/policy"),
    ("PUT", "/api/v1/tenants/{code}/policy"),
    ("GET", "/api/v1/tenant/client-cas"),
    ("POST", "/api/v1/tenant/client-cas"),
    ("DELETE", "/api/v1/tenant/client-cas/{id}"),
    ("GET", "/api/v1/tenant/crl"),
    ("PUT", "/api/v1/tenant/crl"),
    ("DELETE", "/api/v1/tenant/crl"),
    ("GET", "/api/v1/tenant/client-cert"),
    ("PUT", "/api/v1/tenant/client-cert"),
    ("GET", "/api/v1/tenants/{code}/client-cas"),
    ("POST", "/api/v1/tenants/{code}/client-cas"),
    ("DELETE", "/api/v1/tenants/{code}/client-cas/{id}"),
    ("GET", "/api/v1/tenants/{code}/crl"),
    ("PUT", "/api/v1/tenants/{code}/crl"),
    ("DELETE", "/api/v1/tenants/{code}/crl"),
    ("GET", "/api/v1/tenants/{code}/client-cert"),
    ("PUT", "/api/v1/tenants/{code}/client-cert"),
    ("GET", "/api/v1/tenant/sso"),
    ("PUT", "/api/v1/tenant/sso"),
    ("DELETE", "/api/v1/tenant/sso"),
    ("GET", "/api/v1/tenants/{code}/sso"),
    ("PUT", "/api/v1/tenants/{code}/sso"),
    ("DELETE", "/api/v1/tenants/{code}/sso"),
    ("GET", "/api/v1/sso/callback"),
    ("GET", "/api/v1/sso/{code}"),
    ("GET", "/api/v1/sso/{code}/login"),
    ("POST", "/api/v1/users/{id}/unlock"),
    ("POST", "/api/v1/users/{id}/password-reset"),
    ("POST", "/api/v1/me/password"),
    ("GET", "/api/v1/me/sessions"),
    ("DELETE", "/api/v1/me/sessions/{id}"),
    ("DELETE", "/api/v1/users/{id}/sessions"),
    ("POST", "/api/v1/password-reset"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/admin/tenants"),
    ("POST", "/api/v1/admin/tenants"),
    ("GET", "/api/v1/admin/tenants/{code}"),
    ("PATCH", "/api/v1/admin/tenants/{code}"),
    ("GET", "/api/v1/admin/tenants/{code}/usage"),
    ("POST", "/api/v1/admin/tenants/{code}/users"),
];

/// GET routes whose HEAD is documented as an operation of its own.
const HEAD_DOCUMENTED: &[&str] = &["/api/v1/files/{path}"];

/// Codes the router itself answers with (`crates/http/src/api/mod.rs`).
const ROUTER_CODES: &[(&str, u16)] = &[("no_route", 404), ("method_not_allowed", 405)];

/// One value of every `ServiceError` variant. Keep in step with `expected_status`,
/// whose match has no wildcard so that a new variant does not compile until it is
/// listed (and then it must be added here and documented).
fn all_service_errors() -> Vec<ServiceError> {
    let s = String::new;
    vec![
        ServiceError::InvalidName(s()),
        ServiceError::InvalidPath(s()),
        ServiceError::InvalidInput(s()),
        ServiceError::Unauthenticated,
        ServiceError::InvalidCredentials,
        ServiceError::Expired,
        ServiceError::CsrfFailed,
        ServiceError::Forbidden(s()),
        ServiceError::TenantSuspended,
        ServiceError::NotFound(s()),
        ServiceError::NoThumbnail {
            path: s(),
            status: "none",
        },
        ServiceError::ParentNotFound(s()),
        ServiceError::NameConflict(s()),
        ServiceError::NotAFile(s()),
        ServiceError::NotAFolder(s()),
        ServiceError::PreconditionFailed(s()),
        ServiceError::RangeNotSatisfiable(0),
        ServiceError::LengthMismatch {
            declared: 0,
            got: 0,
        },
        ServiceError::UploadAborted(s()),
        ServiceError::QuotaExceeded {
            capacity: 0,
            available: 0,
        },
        ServiceError::VirusDetected(s()),
        ServiceError::ScannerUnavailable(s()),
        ServiceError::TooLargeToScan { limit: 1 },
        ServiceError::Quarantined(s(), s()),
        ServiceError::IpNotAllowed(s()),
        ServiceError::AccountLocked,
        ServiceError::PasswordRejected(kura_service::PasswordProblem::Common),
        ServiceError::TooManyAttempts(1),
        ServiceError::PasswordExpired,
        ServiceError::InvalidResetToken,
        ServiceError::WouldLockOutCaller(kura_service::LockOut::OwnAddress, s()),
        ServiceError::SsoRequired,
        ServiceError::SsoFailed(s()),
        ServiceError::SsoProviderUnavailable(s()),
        ServiceError::OtpRequired(s()),
        ServiceError::InvalidOtp,
        ServiceError::OtpAlreadyEnabled,
        ServiceError::ReadOnlyToken,
        ServiceError::InvalidAttribute {
            key: s(),
            reason: s(),
        },
        ServiceError::AttributeInUse(s()),
        ServiceError::InvalidCsv(vec![]),
        ServiceError::ClientCertificateRequired(s()),
        ServiceError::OffsetMismatch { expected: 0 },
        ServiceError::ChecksumMismatch,
        ServiceError::UploadExpired,
        ServiceError::TusVersionUnsupported,
        ServiceError::UploadTooLarge { max: 1 },
        ServiceError::UnsupportedMediaType(s()),
        ServiceError::NameNotEncodable(vec![]),
        ServiceError::Internal(s()),
    ]
}

/// The status `crates/http/src/error.rs` (`status_of`) gives each variant.
fn expected_status(e: &ServiceError) -> u16 {
    use ServiceError as E;
    match e {
        E::InvalidName(_)
        | E::InvalidPath(_)
        | E::InvalidInput(_)
        | E::PasswordRejected(_)
        | E::LengthMismatch { .. }
        | E::UploadAborted(_) => 400,
        E::Unauthenticated
        | E::InvalidCredentials
        | E::Expired
        | E::OtpRequired(_)
        | E::InvalidOtp => 401,
        E::ReadOnlyToken => 403,
        E::OtpAlreadyEnabled | E::AttributeInUse(_) => 409,
        E::InvalidAttribute { .. } | E::InvalidCsv(_) => 400,
        E::CsrfFailed
        | E::Forbidden(_)
        | E::TenantSuspended
        | E::Quarantined(..)
        | E::IpNotAllowed(_)
        | E::PasswordExpired
        | E::ClientCertificateRequired(_)
        | E::SsoRequired
        | E::SsoFailed(_) => 403,
        E::SsoProviderUnavailable(_) => 502,
        E::AccountLocked => 423,
        E::WouldLockOutCaller(..) => 409,
        E::InvalidResetToken => 400,
        E::NotFound(_) | E::NoThumbnail { .. } => 404,
        E::ParentNotFound(_) | E::NameConflict(_) | E::NotAFile(_) | E::NotAFolder(_) => 409,
        E::PreconditionFailed(_) => 412,
        E::RangeNotSatisfiable(_) => 416,
        E::QuotaExceeded { .. } => 507,
        E::VirusDetected(_) => 422,
        E::TooManyAttempts(_) => 429,
        E::ScannerUnavailable(_) => 503,
        E::TooLargeToScan { .. } => 413,
        E::OffsetMismatch { .. } => 409,
        E::ChecksumMismatch => 460,
        E::UploadExpired => 410,
        E::TusVersionUnsupported => 412,
        E::UploadTooLarge { .. } => 413,
        E::UnsupportedMediaType(_) => 415,
        E::NameNotEncodable(_) => 400,
        E::Internal(_) => 500,
    }
}

const METHODS: &[&str] = &[
    "get", "head", "put", "post", "delete", "patch", "options", "trace",
];

/// Fetches the document the server serves and checks the basics of (a).
async fn served_document(s: &TestServer) -> Value {
    let r = client()
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    let doc: Value = serde_json::from_str(&r.text().await.unwrap()).expect("the document is JSON");
    let version = doc["openapi"].as_str().expect("an openapi field");
    assert!(version.starts_with("3.1."), "openapi {version:?}");
    doc
}

/// Follows local `$ref`s (`#/...` JSON pointers, possibly chained) to the value they name.
fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        let ptr = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local $refs are used: {r}"));
        v = doc
            .pointer(ptr)
            .unwrap_or_else(|| panic!("$ref {r} does not resolve"));
    }
    panic!("$ref chain too long")
}

/// Every documented (METHOD, path template) pair.
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(*m).is_some() {
                out.insert((m.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// The route template as the document writes it.
fn doc_template(route: &str) -> String {
    route.replace("{*path}", "{path}")
}

/// Checks `value` against the subset of JSON Schema the document uses for
/// responses ($ref, allOf, type, required, properties, items, enum, const).
fn check_schema(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check_schema(doc, sub, value, at, errors);
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: {value} is not of type {t}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {e:?}"));
    }
    if let Some(c) = schema.get("const")
        && c != value
    {
        errors.push(format!("{at}: {value} is not {c}"));
    }
    if let Some(obj) = value.as_object() {
        for k in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(k) {
                errors.push(format!("{at}: required field {k:?} is missing"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, sub) in props {
                if let Some(v) = obj.get(k) {
                    check_schema(doc, sub, v, &format!("{at}.{k}"), errors);
                }
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            check_schema(doc, items, v, &format!("{at}[{i}]"), errors);
        }
    }
}

both!(openapi_document_is_served_and_consistent);

/// (a) The document is served as JSON, claims OpenAPI 3.1, and holds together:
/// every `$ref` resolves, operation ids are unique, path parameters are declared.
async fn openapi_document_is_served_and_consistent(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = served_document(&s).await;
    assert_eq!(doc["info"]["title"], "Kura");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    for scheme in ["bearerAuth", "sessionCookie", "csrfToken"] {
        assert!(
            doc["components"]["securitySchemes"].get(scheme).is_some(),
            "security scheme {scheme}"
        );
    }

    // Every $ref points somewhere.
    fn walk(doc: &Value, v: &Value) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    resolve(doc, v);
                    assert!(r.starts_with("#/"), "{r}");
                }
                o.values().for_each(|x| walk(doc, x));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(doc, x)),
            _ => {}
        }
    }
    walk(&doc, &doc);

    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let vars: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(v, _)| v.to_string()))
            .collect();
        for m in METHODS {
            let Some(op) = item.get(*m) else { continue };
            let id = op["operationId"]
                .as_str()
                .expect("every operation has an id");
            assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{m} {path} has responses"
            );
            let declared: BTreeSet<String> = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| resolve(&doc, p))
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(declared, vars, "path parameters of {m} {path}");
        }
    }
}

both!(every_documented_operation_is_routed);

/// (a) Each documented path and method, sent to the live server with a valid
/// token, reaches a handler (never the router's `no_route` / `method_not_allowed`),
/// and answers with a status the document lists for it; problem bodies carry a
/// documented code, JSON bodies have the documented shape.
async fn every_documented_operation_is_routed(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let doc = served_document(&s).await;
    let mut errors = Vec::new();

    let mut ops: Vec<(String, String)> = documented_operations(&doc).into_iter().collect();
    // Paths in order, and within one path: look, create, then delete.
    let rank = |m: &str| match m {
        "GET" => 0,
        "HEAD" => 1,
        "PUT" => 2,
        "POST" => 3,
        "PATCH" => 4,
        _ => 5,
    };
    ops.sort_by(|a, b| a.1.cmp(&b.1).then(rank(&a.0).cmp(&rank(&b.0))));
    for (method, path) in &ops {
        let op = &doc["paths"][path][method.to_ascii_lowercase()];
        // Harmless values: a file or folder `x`, ids that do not exist (so our own
        // token is not revoked), our own tenant.
        let url = path
            .replace("{path}", "x")
            .replace("{id}", "987654321")
            .replace("{code}", "acme")
            .replace("{key}", "nokey")
            .replace("{token}", "notoken");
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client().request(m, s.url(&url)).bearer_auth(&u.token);
        if let Some(body) = op.get("requestBody").map(|b| resolve(&doc, b)) {
            if body["content"].get("application/json").is_some() {
                req = req.header("content-type", "application/json").body("{}");
            } else {
                req = req.body("openapi probe");
            }
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = r.text().await.unwrap();
        let body: Option<Value> = serde_json::from_str(&text).ok();
        let code = body
            .as_ref()
            .and_then(|b| b["code"].as_str())
            .map(str::to_string);
        let what = format!("{method} {url} -> {status} {ct} {text}");
        if let Some(c) = code.as_deref() {
            assert!(
                c != "no_route" && c != "method_not_allowed",
                "documented but not routed: {what}"
            );
        }
        let Some(documented) = op["responses"].get(status.to_string()) else {
            errors.push(format!("status not documented: {what}"));
            continue;
        };
        let documented = resolve(&doc, documented);
        if method == "HEAD" {
            continue;
        }
        let mime = ct.split(';').next().unwrap_or("").trim();
        let media = documented
            .get("content")
            .and_then(|c| c.get(mime).or_else(|| c.get("*/*")));
        match media {
            None if text.is_empty() => {}
            None => errors.push(format!("content type not documented: {what}")),
            Some(media) if mime == "application/json" || mime == "application/problem+json" => {
                match &body {
                    Some(v) => check_schema(&doc, &media["schema"], v, &what, &mut errors),
                    None => errors.push(format!("not JSON: {what}")),
                }
            }
            Some(_) => {}
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

both!(every_route_is_documented);

/// (b) The routes of `crates/http/src/api/mod.rs` and the document's operations are
/// the same set (HEAD of some GET routes is documented on its own).
async fn every_route_is_documented(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = served_document(&s).await;
    let documented = documented_operations(&doc);
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), doc_template(p)))
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    let extra: Vec<_> = documented
        .difference(&routed)
        .filter(|(m, p)| {
            !(m == "HEAD"
                && HEAD_DOCUMENTED.contains(&p.as_str())
                && routed.contains(&("GET".to_string(), p.clone())))
        })
        .collect();
    assert!(extra.is_empty(), "documented but not in ROUTES: {extra:?}");

    // And the routes really exist: an authenticated request never meets the router's
    // fallbacks (with the same harmless values as above).
    let u = s.tenant("acme", 1 << 30).await;
    for (method, route) in ROUTES {
        let url = route
            .replace("{*path}", "x")
            .replace("{id}", "987654321")
            .replace("{code}", "acme")
            .replace("{key}", "nokey")
            .replace("{token}", "notoken");
        let r = client()
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                s.url(&url),
            )
            .bearer_auth(&u.token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(
            v["code"] != "no_route" && v["code"] != "method_not_allowed",
            "ROUTES lists {method} {route}, but the server answered {status} {v}"
        );
    }
}

both!(every_error_code_is_documented);

/// (c) Every code `ServiceError::code()` returns, and the router's own codes, are
/// in the Problem schema with the status the server gives them, and every
/// operation that lists a code lists it under that status.
async fn every_error_code_is_documented(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = served_document(&s).await;
    let problem = &doc["components"]["schemas"]["Problem"];
    let enum_codes: BTreeSet<&str> = problem["properties"]["code"]["enum"]
        .as_array()
        .expect("Problem.code has an enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let table = problem["description"]
        .as_str()
        .expect("Problem description");
    for field in ["type", "title", "status", "code", "detail"] {
        assert!(
            problem["required"]
                .as_array()
                .unwrap()
                .contains(&json!(field)),
            "Problem requires {field}"
        );
    }

    let mut expected: BTreeMap<&str, u16> = all_service_errors()
        .iter()
        .map(|e| (e.code(), expected_status(e)))
        .collect();
    expected.extend(ROUTER_CODES.iter().copied());
    // Every variant has a code of its own, except PasswordRejected: it answers
    // `invalid_input` like other bad input (its reason is for the web UI's
    // wording), with the same status.
    assert_eq!(
        expected.len(),
        all_service_errors().len() - 1 + ROUTER_CODES.len()
    );
    assert_eq!(
        ServiceError::PasswordRejected(kura_service::PasswordProblem::Common).code(),
        ServiceError::InvalidInput(String::new()).code()
    );
    for (code, status) in &expected {
        assert!(enum_codes.contains(code), "{code} is not in Problem.code");
        let row = format!("| `{code}` | {status} |");
        assert!(table.contains(&row), "the Problem table lacks {row}");
    }
    let unknown: Vec<_> = enum_codes
        .iter()
        .filter(|c| !expected.contains_key(*c))
        .collect();
    assert!(
        unknown.is_empty(),
        "codes the server never sends: {unknown:?}"
    );

    // Per-operation responses list codes under the right status.
    let mut seen = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            let Some(op) = item.get(*m) else { continue };
            for (status, resp) in op["responses"].as_object().unwrap() {
                let resp = resolve(&doc, resp);
                let Some(schema) = resp["content"].get("application/problem+json") else {
                    continue;
                };
                let codes = schema["schema"]["allOf"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["properties"]["code"]["enum"].as_array())
                    .flatten()
                    .filter_map(Value::as_str);
                for c in codes {
                    seen.insert(c.to_string());
                    assert_eq!(
                        expected.get(c).map(u16::to_string).as_deref(),
                        Some(status.as_str()),
                        "{m} {path} lists {c} under {status}"
                    );
                }
            }
        }
    }
    // Every code a handler can produce is listed by some operation (the router's
    // codes and the reserved invalid_name only in the Problem schema).
    for code in expected.keys() {
        if ROUTER_CODES.iter().any(|(c, _)| c == code) || *code == "invalid_name" {
            continue;
        }
        assert!(seen.contains(*code), "no operation lists {code}");
    }

    // The router's own problems look as documented.
    let r = client()
        .get(s.url("/api/v1/no-such-endpoint"))
        .send()
        .await
        .unwrap();
    problem_check(r, StatusCode::NOT_FOUND, "no_route").await;
    let r = client().patch(s.url("/api/v1/me")).send().await.unwrap();
    problem_check(r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

async fn problem_check(r: reqwest::Response, status: StatusCode, code: &str) {
    let v = problem(r, status, code).await;
    assert_eq!(v["type"], format!("https://kura.example/problems/{code}"));
    assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()));
}
