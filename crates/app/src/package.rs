//! Access packages (Art. 15, Art. 20): a zip with, per system, the data as JSON and CSV, a
//! plain-language `summary.html`, and `art15.json` with the Art. 15(1)(a)–(h) and 15(2)
//! information taken from the data map.
//!
//! The zip is written to a temporary file one system at a time (memory stays bounded by the
//! largest single system's data), then sealed in 1 MiB chunks into the database, so any node can
//! serve it and a download streams chunk by chunk. The raw collected data is deleted once
//! packaged. Chunks are bound to their package, position and "last" flag, so they cannot be
//! reordered, swapped or truncated unnoticed.

use dsrflow_domain::AuditAction;
use std::io::{Read, Seek, SeekFrom, Write};

use chrono::{DateTime, TimeDelta, Utc};
use dsrflow_connectors::Dataset;
use dsrflow_domain::Actor;
use dsrflow_domain::TaskStatus;
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::entity::{access_package, download_token, task};
use dsrflow_store::packages as pq;
use dsrflow_store::requests::RequestRecord;
use dsrflow_store::tasks as tq;
use futures::Stream;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{App, AppError};

/// An access package as stored (its size, digest and expiry; the content is in chunks).
pub use dsrflow_store::entity::access_package::Model as Package;

/// Size of one sealed chunk of a package.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The access package's readable report (HTML-escaped: its name ends in `.html.j2`).
const SUMMARY: &str = "summary.html.j2";
const SUMMARY_TEMPLATE: &str = include_str!("../../../templates/package/summary.html.j2");

fn internal(what: &str) -> impl Fn(std::io::Error) -> AppError + '_ {
    move |e| AppError::Internal(format!("{what}: {e}"))
}

fn chunk_context(package_id: Uuid, idx: i32, last: bool) -> Vec<u8> {
    let mut c = package_id.as_bytes().to_vec();
    c.extend_from_slice(&idx.to_be_bytes());
    c.push(u8::from(last));
    c
}

#[derive(Serialize)]
struct Found {
    name: String,
    records: usize,
    truncated: bool,
}

#[derive(Serialize)]
struct SystemInfo {
    name: String,
    description: Option<String>,
    categories: Vec<String>,
    purposes: Vec<serde_json::Value>,
    recipients: Vec<String>,
    retention: Vec<String>,
    backup_rotate_days: Option<u32>,
    source: Option<String>,
    transfers: Option<String>,
    automated_decisions: Option<String>,
    found: Vec<Found>,
    /// Datasets a portability answer leaves out: not provided by the subject nor observed from
    /// their use (Art. 20(1)).
    left_out: Vec<String>,
    status: String,
    manual: Option<String>,
}

/// Builds the package of a request from its tasks' collected data (once; a second call returns
/// the existing package).
pub async fn build(
    app: &App,
    rec: &RequestRecord,
    tasks: &[task::Model],
) -> Result<Option<access_package::Model>, AppError> {
    let req = &rec.request;
    if !req.kind.produces_package() {
        return Ok(None);
    }
    if let Some(existing) = pq::for_request(app.store.db(), req.id).await? {
        return Ok(Some(existing));
    }
    let now = app.clock.now();
    let key = &app.settings.data_key;
    let file = tempfile::tempfile().map_err(internal("temporary file"))?;
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut files = 0_i32;
    let mut systems = Vec::new();
    let zerr = |e: zip::result::ZipError| AppError::Internal(format!("zip: {e}"));

    for t in tasks
        .iter()
        .filter(|t| t.action == dsrflow_domain::TaskAction::Access)
    {
        let datasets: Vec<Dataset> = match tq::result(app.store.db(), t.id).await? {
            Some(sealed) => {
                let plain = key.open(t.id.as_bytes(), &sealed).map_err(|e| {
                    AppError::Internal(format!("collected data of task {}: {e}", t.id))
                })?;
                serde_json::from_slice(&plain).map_err(|e| {
                    AppError::Internal(format!("collected data of task {}: {e}", t.id))
                })?
            }
            None => Vec::new(),
        };
        let system = app.systems.map.system(&t.system);
        // Portability carries what the subject provided or what their use produced, not what
        // we made about them (an invoice): the data map says which datasets that is.
        let mut left_out = Vec::new();
        let datasets: Vec<Dataset> = if req.kind == dsrflow_domain::RequestKind::Portability {
            datasets
                .into_iter()
                .filter(|d| {
                    let keep = system.is_none_or(|s| s.portable(&d.name));
                    if !keep {
                        left_out.push(d.name.clone());
                    }
                    keep
                })
                .collect()
        } else {
            datasets
        };
        let found: Vec<Found> = datasets
            .iter()
            .map(|d| Found {
                name: d.name.clone(),
                records: d.records.len(),
                truncated: d.truncated,
            })
            .collect();
        if !datasets.is_empty() {
            let json_doc = json!({
                "system": t.system,
                "datasets": datasets.iter().map(|d| json!({"name": d.name, "truncated": d.truncated, "records": d.records})).collect::<Vec<_>>(),
            });
            zip.start_file(format!("systems/{}.json", t.system), opts)
                .map_err(zerr)?;
            serde_json::to_writer_pretty(&mut zip, &json_doc)
                .map_err(|e| AppError::Internal(format!("json: {e}")))?;
            files += 1;
            for d in &datasets {
                zip.start_file(
                    format!("systems/{}/{}.csv", t.system, safe_name(&d.name)),
                    opts,
                )
                .map_err(zerr)?;
                write_csv(&mut zip, &d.records)?;
                files += 1;
            }
        }
        systems.push(SystemInfo {
            name: t.system.clone(),
            description: system.and_then(|s| s.description.clone()),
            categories: system.map(|s| s.categories.clone()).unwrap_or_default(),
            purposes: system
                .map(|s| {
                    s.purposes
                        .iter()
                        .map(|p| {
                            json!({
                                "name": p.name,
                                "legal_basis": p.legal_basis,
                                "article": p.legal_basis.article(),
                                "description": p.description,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
            // The processor that runs the system for us receives the data too (Art. 4(9)).
            recipients: system
                .map(|s| {
                    s.processor
                        .iter()
                        .map(|p| format!("{p} (our processor, acting on our instructions)"))
                        .chain(s.recipients.iter().map(|r| {
                            let map = &app.systems.map;
                            match map.recipient(r).and_then(|r| r.receives.as_deref()) {
                                Some(what) => format!("{} ({what})", map.label(r)),
                                None => map.label(r).to_owned(),
                            }
                        }))
                        .collect()
                })
                .unwrap_or_default(),
            retention: system
                .map(|s| s.retention.iter().map(|r| r.describe()).collect())
                .unwrap_or_default(),
            backup_rotate_days: system.and_then(|s| s.backup_rotate_days),
            source: system.and_then(|s| s.source.clone()),
            transfers: system.and_then(|s| s.transfers.clone()),
            automated_decisions: system.and_then(|s| s.automated_decisions.clone()),
            found,
            left_out,
            status: t.status.as_str().to_owned(),
            manual: (t.status != TaskStatus::Succeeded && t.status != TaskStatus::NotFound).then(
                || match &t.note {
                    Some(n) => format!("handled by hand: {n}"),
                    None => format!("status {}", t.status),
                },
            ),
        });
    }

    let c = &app.settings.controller;
    let controller = json!({"name": c.name, "contact": c.contact, "authority": c.authority});
    let request = json!({
        "reference": req.reference,
        "kind": req.kind,
        "received_at": req.received_at,
        "receipt_day": req.receipt_day,
        "deadline": req.deadline,
    });
    let generated_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    zip.start_file("art15.json", opts).map_err(zerr)?;
    serde_json::to_writer_pretty(
        &mut zip,
        &json!({
            "controller": controller,
            "request": request,
            "generated_at": generated_at,
            "systems": systems,
        }),
    )
    .map_err(|e| AppError::Internal(format!("json: {e}")))?;
    files += 1;

    let env = dsrflow_render::environment(
        dsrflow_render::Setup {
            undefined: dsrflow_render::Undefined::Lenient,
            links: dsrflow_render::Links::Absolute,
            catalogues: None,
        },
        [(SUMMARY.to_owned(), SUMMARY_TEMPLATE.to_owned())],
    )
    .map_err(|e| AppError::Internal(format!("summary template: {e}")))?;
    let html = env
        .get_template(SUMMARY)
        .and_then(|t| {
            t.render(minijinja::context! {
                controller => minijinja::Value::from(minijinja::value::Serde(&controller)),
                request => minijinja::Value::from(minijinja::value::Serde(&request)),
                systems => minijinja::Value::from(minijinja::value::Serde(&systems)),
                generated_at => generated_at,
            })
        })
        .map_err(|e| AppError::Internal(format!("summary: {e}")))?;
    zip.start_file("summary.html", opts).map_err(zerr)?;
    zip.write_all(html.as_bytes()).map_err(internal("zip"))?;
    files += 1;
    let mut file = zip.finish().map_err(zerr)?;

    // Seal the zip into chunks.
    let size = file.seek(SeekFrom::End(0)).map_err(internal("zip"))?;
    file.seek(SeekFrom::Start(0)).map_err(internal("zip"))?;
    let chunks = size.div_ceil(CHUNK_BYTES as u64).max(1);
    let chunks =
        i32::try_from(chunks).map_err(|_| AppError::Internal("package too large".to_owned()))?;
    let package_id = Uuid::now_v7();
    let mut digest = Sha256::new();
    let tx = app.store.write().await?;
    pq::insert(
        &*tx,
        access_package::Model {
            id: package_id,
            request_id: req.id,
            size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            sha256: String::new(),
            chunks,
            files,
            created_at: now,
            expires_at: None,
            deleted_at: None,
        },
    )
    .await?;
    let mut buf = vec![0u8; CHUNK_BYTES];
    for idx in 0..chunks {
        let mut filled = 0;
        while filled < CHUNK_BYTES {
            let n = file.read(&mut buf[filled..]).map_err(internal("zip"))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        digest.update(&buf[..filled]);
        let sealed = key.seal(
            &chunk_context(package_id, idx, idx == chunks - 1),
            &buf[..filled],
        );
        pq::insert_chunk(&*tx, package_id, idx, sealed).await?;
    }
    let sha = hex::encode(digest.finalize());
    let stored = access_package::Model {
        id: package_id,
        request_id: req.id,
        size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
        sha256: sha.clone(),
        chunks,
        files,
        created_at: now,
        expires_at: None,
        deleted_at: None,
    };
    pq::set_sha256(&*tx, package_id, &sha).await?;
    // The raw collected data is not kept once packaged (Art. 5(1)(c)).
    tq::delete_results(&*tx, req.id).await?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: Some(req.id),
            actor: Actor::System,
            action: AuditAction::PackageBuilt,
            data: json!({"package_id": package_id, "files": files, "size_bytes": size, "sha256": sha}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(request = %req.id, package = %package_id, files, size, "access package built");
    Ok(Some(stored))
}

fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_csv(out: &mut impl Write, records: &[serde_json::Value]) -> Result<(), AppError> {
    let mut columns: Vec<String> = Vec::new();
    for r in records {
        if let Some(obj) = r.as_object() {
            for k in obj.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let mut w = csv::Writer::from_writer(out);
    let cerr = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    w.write_record(&columns).map_err(cerr)?;
    for r in records {
        let row: Vec<String> = columns
            .iter()
            .map(|c| match r.get(c) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        w.write_record(&row).map_err(cerr)?;
    }
    w.flush().map_err(internal("csv"))?;
    Ok(())
}

/// A package's bytes, decrypted chunk by chunk as they are read.
pub fn stream(
    app: &App,
    package: &access_package::Model,
) -> impl Stream<Item = Result<Vec<u8>, AppError>> + Send + 'static {
    let app = app.clone();
    let id = package.id;
    let chunks = package.chunks;
    futures::stream::unfold(0_i32, move |idx| {
        let app = app.clone();
        async move {
            if idx >= chunks {
                return None;
            }
            let res = async {
                let sealed = pq::chunk(app.store.db(), id, idx).await?.ok_or_else(|| {
                    AppError::Internal(format!("package {id} chunk {idx} is missing"))
                })?;
                app.settings
                    .data_key
                    .open(&chunk_context(id, idx, idx == chunks - 1), &sealed)
                    .map_err(|e| AppError::Internal(format!("package {id} chunk {idx}: {e}")))
            }
            .await;
            Some((res, idx + 1))
        }
    })
}

/// The package of a request, for the officer or the company's systems (Bearer token).
pub async fn for_request(app: &App, request_id: Uuid) -> Result<access_package::Model, AppError> {
    let p = pq::for_request(app.store.db(), request_id)
        .await?
        .ok_or(AppError::NotFound("access package"))?;
    if p.deleted_at.is_some() {
        return Err(AppError::Conflict(
            "the access package expired and was deleted".to_owned(),
        ));
    }
    Ok(p)
}

/// Records a download in the audit trail.
pub async fn audit_download(
    app: &App,
    package: &access_package::Model,
    via: &str,
    actor: Actor,
) -> Result<(), AppError> {
    let now = app.clock.now();
    let tx = app.store.write().await?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: Some(package.request_id),
            actor,
            action: AuditAction::PackageDownloaded,
            data: json!({"package_id": package.id, "via": via}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Issues the subject's download link for a request's package: the token is returned once and
/// stored hashed; the package expires after the configured time.
pub async fn issue_download(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    package: &access_package::Model,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), AppError> {
    use base64::Engine;
    use rand::RngCore;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let ttl = TimeDelta::from_std(app.settings.work.package_ttl).unwrap_or(TimeDelta::days(30));
    let expires_at = now + ttl;
    pq::insert_token(
        conn,
        download_token::Model {
            token_hash: token_hash(&token),
            package_id: package.id,
            request_id: package.request_id,
            created_at: now,
            expires_at,
            downloads: 0,
            last_used_at: None,
        },
    )
    .await?;
    pq::set_expiry(conn, package.id, expires_at).await?;
    Ok((token, expires_at))
}

/// The hash under which a download token is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The package a subject's download link points to, if the link is valid now (looking does
/// not count as a download: see [`count_download`]).
pub async fn by_download_token(app: &App, token: &str) -> Result<access_package::Model, AppError> {
    if token.len() > 100
        || !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::NotFound("download link"));
    }
    let now = app.clock.now();
    let hash = token_hash(token);
    let t = pq::token(app.store.db(), &hash)
        .await?
        .ok_or(AppError::NotFound("download link"))?;
    if t.expires_at <= now {
        return Err(AppError::Gone(format!(
            "this download link expired on {}; ask us for a new one",
            t.expires_at.date_naive()
        )));
    }
    let p = pq::find(app.store.db(), t.package_id)
        .await?
        .ok_or(AppError::NotFound("download link"))?;
    if p.deleted_at.is_some() {
        return Err(AppError::Gone(
            "this package was deleted after its expiry; ask us for a new one".to_owned(),
        ));
    }
    Ok(p)
}

/// Counts a download through a link (the file was served).
pub async fn count_download(app: &App, token: &str) -> Result<(), AppError> {
    pq::count_download(app.store.db(), &token_hash(token), app.clock.now()).await?;
    Ok(())
}

/// Deletes the content of packages whose expiry passed (the package row stays as proof).
pub async fn purge_expired(app: &App) -> Result<usize, AppError> {
    let now = app.clock.now();
    let expired = pq::expired(app.store.db(), now, 100).await?;
    for p in &expired {
        let tx = app.store.write().await?;
        pq::delete_content(&*tx, p.id, now).await?;
        audit::append(
            &*tx,
            NewEvent {
                request_id: Some(p.request_id),
                actor: Actor::System,
                action: AuditAction::PackageDeleted,
                data: json!({"package_id": p.id, "reason": "expired"}),
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
    }
    Ok(expired.len())
}
