//! `POST /api/v1/listings/{id}/documents`: a multipart upload into a listing's data room.
//!
//! The form has one `file` part, a `visibility` part (`public` or `nda`) and an optional
//! `title`. The file may be at most `upload_max_bytes` (413 otherwise; this route alone
//! admits bodies that large). Its kind is decided by content ([`crate::domain::upload`]);
//! a declared `Content-Type` or file-name extension that names a *different* allowed kind is
//! refused as a mismatch (`415 document-type-mismatch`, e.g. a PDF declared as PNG), other
//! declarations are ignored. The sha256 is recorded and the bytes are stored in the database
//! under a generated name, within the seller's quota (`409 quota-exceeded`).

use axum::Json;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::super::AppState;
use super::super::client_ip::ClientIp;
use super::super::extract::{Authorized, SellerOrAdmin};
use super::super::listings::visible_listing;
use super::super::problem::Problem;
use super::{DocumentView, not_manager, seller_and_actor};
use crate::domain::dataroom::document_title;
use crate::domain::{
    AuditKind, Document, DocumentKind, DocumentVisibility, SniffError, SniffLimits, upload,
};

/// Largest `visibility` or `title` part, bytes.
const MAX_TEXT_PART: usize = 4096;

/// The upload form (documentation of the multipart body).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Only describes the body in the OpenAPI document; read by `read_form`.
pub struct DocumentUpload {
    /// The file: PDF, PNG, JPEG, LAS, CSV or XLSX (decided by content), at most the upload
    /// limit (10 MiB by default).
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
    /// `public` (any signed-in user) or `nda` (approved buyers only).
    pub visibility: DocumentVisibility,
    /// Display title (default: the file's name).
    pub title: Option<String>,
}

/// The parts read from the form.
#[derive(Debug, Default)]
struct Form {
    file: Option<Vec<u8>>,
    file_name: Option<String>,
    declared_type: Option<String>,
    visibility: Option<String>,
    title: Option<String>,
}

fn too_large(max: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file-too-large",
        "File too large",
        format!("Files may be at most {max} bytes."),
    )
}

/// `413` when the body hit the route's limit (axum recognises only some of the ways the
/// limit error is wrapped, so the whole source chain is searched), else `400`.
fn unreadable(e: &MultipartError, max: usize) -> Problem {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut over_limit = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
    while let Some(err) = source {
        over_limit |= err.is::<http_body_util::LengthLimitError>();
        source = err.source();
    }
    if over_limit {
        return too_large(max);
    }
    Problem::new(
        StatusCode::BAD_REQUEST,
        "malformed-body",
        "Malformed body",
        "The multipart body could not be read.",
    )
}

/// A small text part, whole.
async fn text_part(mut field: Field<'_>, name: &str, max: usize) -> Result<String, Problem> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(&e, max))? {
        if buf.len() + chunk.len() > MAX_TEXT_PART {
            return Err(Problem::invalid_body(format!("{name}: too long")));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf).map_err(|_| Problem::invalid_body(format!("{name}: not UTF-8 text")))
}

/// Reads the form, stopping as soon as the file passes `max` bytes.
async fn read_form(mut mp: Multipart, max: usize) -> Result<Form, Problem> {
    let mut form = Form::default();
    while let Some(mut field) = mp.next_field().await.map_err(|e| unreadable(&e, max))? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                if form.file.is_some() {
                    return Err(Problem::invalid_body("Send exactly one `file` part."));
                }
                form.file_name = field.file_name().map(str::to_owned);
                form.declared_type = field.content_type().map(str::to_owned);
                let mut buf = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(&e, max))? {
                    if buf.len() + chunk.len() > max {
                        return Err(too_large(max));
                    }
                    buf.extend_from_slice(&chunk);
                }
                form.file = Some(buf);
            }
            "visibility" => form.visibility = Some(text_part(field, "visibility", max).await?),
            "title" => form.title = Some(text_part(field, "title", max).await?),
            other => {
                return Err(Problem::invalid_body(format!(
                    "Unknown part '{other}': expected file, visibility and title."
                )));
            }
        }
    }
    Ok(form)
}

fn unsupported(e: &SniffError) -> Problem {
    let message = e.to_string();
    let mut chars = message.chars();
    let detail: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-document",
        "Unsupported document",
        format!("{detail}."),
    )
}

/// `415` when the form declares another allowed kind than the content is.
fn check_declared(form: &Form, kind: DocumentKind) -> Result<(), Problem> {
    let declared = [
        (
            "Content-Type",
            form.declared_type
                .as_deref()
                .and_then(DocumentKind::from_declared_type),
        ),
        (
            "file name",
            form.file_name
                .as_deref()
                .and_then(DocumentKind::from_file_name),
        ),
    ];
    for (how, named) in declared {
        if let Some(named) = named.filter(|n| *n != kind) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "document-type-mismatch",
                "Declared type does not match the content",
                format!(
                    "The {how} says {} but the content is {}.",
                    named.label(),
                    kind.label()
                ),
            ));
        }
    }
    Ok(())
}

/// Uploads a document into a listing's data room (its seller or an admin). The kind is
/// decided by content; the bytes are stored in the database with their sha256.
#[utoipa::path(post, path = "/api/v1/listings/{id}/documents", tag = "data room",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    request_body(content = inline(DocumentUpload), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = DocumentView),
        (status = 400, description = "The multipart body cannot be read", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not the listing's seller or an admin", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The seller's storage quota would be exceeded (`quota-exceeded`)", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "The file is over the upload limit (`file-too-large`) or the body is (`payload-too-large`)", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data, content of no allowed kind, an executable, a zip bomb (`unsupported-document`), or a declared type that contradicts the content (`document-type-mismatch`)", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Missing file or visibility, unknown part, invalid title", body = super::super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ip: ClientIp,
    Authorized(caller, _): Authorized<SellerOrAdmin>,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<DocumentView>), Problem> {
    let listing = visible_listing(&state, &id, Some(&caller)).await?;
    if !listing.is_managed_by(&caller.user_id, caller.role) {
        return Err(not_manager(&state));
    }
    let multipart = multipart.map_err(|_| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "The body must be multipart/form-data with a `file` part.",
        )
    })?;
    let settings = state.settings();
    let max = settings.upload_max_bytes;
    let mut form = read_form(multipart, max).await?;
    let visibility: DocumentVisibility = form
        .visibility
        .as_deref()
        .ok_or_else(|| Problem::invalid_body("visibility: required (public or nda)."))?
        .trim()
        .parse()
        .map_err(|e| Problem::invalid_body(format!("visibility: {e}")))?;
    let bytes = form
        .file
        .take()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| Problem::invalid_body("file: a non-empty `file` part is required."))?;
    let limits = SniffLimits::for_upload(u64::try_from(max).unwrap_or(u64::MAX));
    let (bytes, kind, sha) = tokio::task::spawn_blocking(move || {
        let kind = upload::sniff(&bytes, limits);
        let sha = hex::encode(Sha256::digest(&bytes));
        (bytes, kind, sha)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "upload check task failed");
        Problem::internal()
    })?;
    let kind = kind.map_err(|e| unsupported(&e))?;
    check_declared(&form, kind)?;
    let title = document_title(form.title.as_deref(), form.file_name.as_deref(), kind)
        .map_err(|e| Problem::invalid_body(e.to_string()))?;
    let doc = Document {
        id: uuid::Uuid::now_v7().to_string(),
        listing_id: listing.id.clone(),
        owner_id: listing
            .seller_id
            .clone()
            .unwrap_or_else(|| caller.user_id.clone()),
        uploader_id: caller.user_id.clone(),
        title,
        kind,
        visibility,
        size_bytes: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        sha256: sha,
        uploaded_at: chrono::SubsecRound::trunc_subsecs(settings.clock.now(), 3),
    };
    if let Err(q) = state
        .users()
        .insert_document(&doc, &bytes, settings.upload_quota_bytes)
        .await?
    {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "quota-exceeded",
            "Storage quota exceeded",
            format!(
                "The seller stores {} of {} bytes; this file needs {} more. Delete documents first.",
                q.used_bytes, q.quota_bytes, doc.size_bytes
            ),
        ));
    }
    let (user, actor) = seller_and_actor(&listing, &caller);
    let detail = format!(
        "listing={} document={} kind={} bytes={} visibility={}",
        doc.listing_id, doc.id, doc.kind, doc.size_bytes, doc.visibility
    );
    state
        .auth()
        .audit(
            AuditKind::DocumentUploaded,
            Some(user),
            actor,
            ip.to_audit().as_deref(),
            &detail,
        )
        .await;
    Ok((StatusCode::CREATED, Json(DocumentView::new(doc, true))))
}
