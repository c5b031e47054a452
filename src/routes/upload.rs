//! Uploaded files: a raw body (any Content-Type) or a multipart form, read
//! with a size limit.
use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

use crate::error::AppError;

pub struct Upload {
    pub bytes: Vec<u8>,
    pub filename: Option<String>,
    /// The other (text) fields of a multipart form.
    pub fields: HashMap<String, String>,
}

pub fn too_large(limit: usize) -> AppError {
    let mb = limit / (1024 * 1024);
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("Tệp quá lớn (tối đa {mb} MB)."),
        format!("The file is too large (at most {mb} MB)."),
    )
}

fn broken(detail: impl std::fmt::Display) -> AppError {
    AppError::bad_request(
        format!("Không đọc được dữ liệu gửi lên: {detail}"),
        format!("Could not read the upload: {detail}"),
    )
}

pub async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Upload, AppError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        let mut bytes = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(broken)?;
            if bytes.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Upload {
            bytes,
            filename: None,
            fields: HashMap::new(),
        });
    }
    let mut form = Multipart::new(req.headers(), payload);
    let mut upload = Upload {
        bytes: Vec::new(),
        filename: None,
        fields: HashMap::new(),
    };
    let mut total = 0usize;
    let mut have_file = false;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(broken)?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_string);
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(broken)?;
            total += chunk.len();
            if total > limit {
                return Err(too_large(limit));
            }
            data.extend_from_slice(&chunk);
        }
        if filename.is_some() && !have_file {
            have_file = true;
            upload.filename = filename;
            upload.bytes = data;
        } else if filename.is_none() {
            upload
                .fields
                .insert(name, String::from_utf8_lossy(&data).into_owned());
        }
    }
    Ok(upload)
}
