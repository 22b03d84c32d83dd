//! The one mapping from service errors to RFC 9457 problem+json responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_service::ServiceError;

/// An error answered as `application/problem+json` with a stable `code`.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self(e)
    }
}

impl From<kura_core::CoreError> for ApiError {
    fn from(e: kura_core::CoreError) -> Self {
        Self(e.into())
    }
}

/// The HTTP status of each service error.
pub fn status_of(e: &ServiceError) -> StatusCode {
    use ServiceError as E;
    match e {
        E::InvalidName(_)
        | E::InvalidPath(_)
        | E::InvalidInput(_)
        | E::PasswordRejected(_)
        | E::LengthMismatch { .. }
        | E::UploadAborted(_) => StatusCode::BAD_REQUEST,
        E::Unauthenticated
        | E::InvalidCredentials
        | E::Expired
        | E::OtpRequired(_)
        | E::InvalidOtp => StatusCode::UNAUTHORIZED,
        E::ReadOnlyToken => StatusCode::FORBIDDEN,
        E::OtpAlreadyEnabled | E::AttributeInUse(_) => StatusCode::CONFLICT,
        E::InvalidAttribute { .. } | E::InvalidCsv(_) => StatusCode::BAD_REQUEST,
        E::CsrfFailed | E::Forbidden(_) | E::TenantSuspended => StatusCode::FORBIDDEN,
        E::NotFound(_) | E::NoThumbnail { .. } => StatusCode::NOT_FOUND,
        E::ParentNotFound(_) | E::NameConflict(_) | E::NotAFile(_) | E::NotAFolder(_) => {
            StatusCode::CONFLICT
        }
        E::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
        E::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
        E::QuotaExceeded { .. } => StatusCode::INSUFFICIENT_STORAGE,
        E::VirusDetected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        E::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
        E::ScannerUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        E::TooLargeToScan { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        E::Quarantined(..)
        | E::IpNotAllowed(_)
        | E::PasswordExpired
        | E::ClientCertificateRequired(_) => StatusCode::FORBIDDEN,
        E::AccountLocked => StatusCode::LOCKED,
        E::WouldLockOutCaller(..) => StatusCode::CONFLICT,
        E::InvalidResetToken => StatusCode::BAD_REQUEST,
        E::SsoRequired | E::SsoFailed(_) => StatusCode::FORBIDDEN,
        E::SsoProviderUnavailable(_) => StatusCode::BAD_GATEWAY,
        E::OffsetMismatch { .. } => StatusCode::CONFLICT,
        // tus 1.0.0's checksum extension defines 460 Checksum Mismatch.
        E::ChecksumMismatch => StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
        E::UploadExpired => StatusCode::GONE,
        E::TusVersionUnsupported => StatusCode::PRECONDITION_FAILED,
        E::UploadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        E::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        E::NameNotEncodable(_) => StatusCode::BAD_REQUEST,
        E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Builds a problem response.
pub fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    problem_with(status, code, detail, None)
}

/// Builds a problem response with extension members (RFC 9457 section 3.2).
pub fn problem_with(
    status: StatusCode,
    code: &str,
    detail: &str,
    extra: Option<serde_json::Value>,
) -> Response {
    let mut body = serde_json::json!({
        "type": format!("https://kura.example/problems/{code}"),
        "title": status
            .canonical_reason()
            // tus's own status code.
            .or((status.as_u16() == 460).then_some("Checksum Mismatch"))
            .unwrap_or("Error"),
        "status": status.as_u16(),
        "code": code,
        "detail": detail,
    });
    if let (Some(serde_json::Value::Object(extra)), Some(obj)) = (extra, body.as_object_mut()) {
        obj.extend(extra);
    }
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let detail = match &self.0 {
            // Never leak internals; the log has them.
            ServiceError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                "something went wrong on the server; it has been logged".to_string()
            }
            e => e.to_string(),
        };
        let extra = match &self.0 {
            ServiceError::VirusDetected(sig) => Some(serde_json::json!({ "signature": sig })),
            ServiceError::TooLargeToScan { limit } => {
                Some(serde_json::json!({ "scan_limit_bytes": limit }))
            }
            ServiceError::Quarantined(_, sig) => Some(serde_json::json!({ "signature": sig })),
            ServiceError::InvalidAttribute { key, .. } => {
                Some(serde_json::json!({ "attribute": key }))
            }
            ServiceError::InvalidCsv(errors) => Some(serde_json::json!({ "errors": errors })),
            ServiceError::OffsetMismatch { expected } => {
                Some(serde_json::json!({ "offset": expected }))
            }
            ServiceError::WouldLockOutCaller(reason, _) => {
                Some(serde_json::json!({ "reason": reason.as_str() }))
            }
            ServiceError::UploadTooLarge { max } => Some(serde_json::json!({ "max_bytes": max })),
            ServiceError::NameNotEncodable(paths) => Some(serde_json::json!({ "paths": paths })),
            ServiceError::NoThumbnail { status, .. } => {
                Some(serde_json::json!({ "thumbnail_status": status }))
            }
            _ => None,
        };
        let mut res = problem_with(status, self.0.code(), &detail, extra);
        match &self.0 {
            ServiceError::Unauthenticated
            | ServiceError::Expired
            | ServiceError::InvalidCredentials
            | ServiceError::OtpRequired(_)
            | ServiceError::InvalidOtp => {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"kura\""),
                );
            }
            ServiceError::TooManyAttempts(secs) => {
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            ServiceError::ScannerUnavailable(_) => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            }
            ServiceError::TusVersionUnsupported => {
                res.headers_mut()
                    .insert("tus-version", HeaderValue::from_static("1.0.0"));
            }
            ServiceError::RangeNotSatisfiable(size) => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, v);
                }
            }
            _ => {}
        }
        res
    }
}
