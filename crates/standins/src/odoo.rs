//! Odoo stand-in: `POST /jsonrpc` with `common.authenticate` and `object.execute_kw` for the
//! calls of the privacy lookup recipe (shared/reference/PROCESSORS.md §3.4):
//! `privacy.lookup.wizard` `create` / `action_lookup` / `read`, `privacy.lookup.wizard.line`
//! `search_read` / `action_unlink_all` / `action_archive_all`, `mail.blacklist` `create` and
//! `privacy.log` `write`. Errors come back as Odoo does: HTTP 200 with a JSON-RPC `error`.
//!
//! Simplifications: the lookup matches records whose address equals the wizard's (case
//! insensitive) or whose name equals its name; Odoo also matches addresses by substring in
//! most models. The privacy log is created on the first archive or delete, one per wizard, with
//! the address masked as Odoo does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::{Common, Standin, finish, lock};

/// A record the lookup can find (a partner, a lead, a message author…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooRecord {
    /// Model, e.g. `res.partner`.
    pub model: String,
    /// Record id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Address.
    pub email: String,
    /// Whether it is active (not archived).
    pub active: bool,
}

impl OdooRecord {
    /// An active record.
    pub fn new(model: &str, id: i64, name: &str, email: &str) -> Self {
        Self {
            model: model.to_owned(),
            id,
            name: name.to_owned(),
            email: email.to_owned(),
            active: true,
        }
    }
}

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct OdooSeed {
    /// Database name.
    pub db: String,
    /// Login of the RPC user.
    pub login: String,
    /// API key of the RPC user.
    pub api_key: String,
    /// The RPC user's id.
    pub uid: i64,
    /// Records.
    pub records: Vec<OdooRecord>,
}

impl Default for OdooSeed {
    fn default() -> Self {
        Self {
            db: "standin".to_owned(),
            login: "dsr-bot@example.com".to_owned(),
            api_key: "odoo-key-standin".to_owned(),
            uid: 2,
            records: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct Wizard {
    name: String,
    email: String,
    log_id: Option<i64>,
}

#[derive(Debug, Clone)]
struct Line {
    wizard_id: i64,
    res_model: String,
    res_id: i64,
    res_name: String,
    is_active: bool,
    is_unlinked: bool,
    execution_details: Option<String>,
}

/// A `privacy.log` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooLog {
    /// Its id.
    pub id: i64,
    /// The masked address.
    pub anonymized_email: String,
    /// What was done, one line per record.
    pub execution_details: String,
    /// The note written by the caller.
    pub additional_note: Option<String>,
}

#[derive(Debug, Default)]
struct Data {
    records: Vec<OdooRecord>,
    wizards: BTreeMap<i64, Wizard>,
    lines: BTreeMap<i64, Line>,
    logs: BTreeMap<i64, OdooLog>,
    blacklist: Vec<(i64, String)>,
    next_id: i64,
    calls: Vec<String>,
    failing: Option<String>,
}

impl Data {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

/// The stand-in's state.
#[derive(Debug)]
pub struct OdooState {
    /// Faults and request log.
    pub common: Arc<Common>,
    db: String,
    login: String,
    api_key: String,
    uid: i64,
    data: Mutex<Data>,
}

impl OdooState {
    /// The calls received, as `service.method` or `model.method`, in order.
    pub fn calls(&self) -> Vec<String> {
        lock(&self.data).calls.clone()
    }

    /// The remaining records with this address.
    pub fn records_with(&self, email: &str) -> Vec<OdooRecord> {
        lock(&self.data)
            .records
            .iter()
            .filter(|r| r.email.eq_ignore_ascii_case(email))
            .cloned()
            .collect()
    }

    /// The blacklisted addresses.
    pub fn blacklist(&self) -> Vec<String> {
        lock(&self.data)
            .blacklist
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// The privacy logs.
    pub fn logs(&self) -> Vec<OdooLog> {
        lock(&self.data).logs.values().cloned().collect()
    }

    /// Makes every later call of this method (e.g. `action_unlink_all`) fail with an
    /// `AccessError`, as Odoo does for a user without the rights.
    pub fn fail_method(&self, method: &str) {
        lock(&self.data).failing = Some(method.to_owned());
    }
}

/// Masks an address as `privacy.log` does: `r*****.t**@gmail.com` (common mail domains are
/// kept, others masked but for the top-level domain).
fn anonymize_email(email: &str) -> String {
    let mask = |w: &str| {
        w.split('.')
            .map(|part| {
                let mut c = part.chars();
                match c.next() {
                    Some(first) => format!("{first}{}", "*".repeat(c.count())),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join(".")
    };
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let domain = if ["gmail.com", "hotmail.com", "yahoo.com"].contains(&domain) {
                domain.to_owned()
            } else {
                match domain.rsplit_once('.') {
                    Some((host, tld)) => format!("{}.{tld}", mask(host)),
                    None => mask(domain),
                }
            };
            format!("{}@{domain}", mask(local))
        }
        None => mask(email),
    }
}

type RpcResult = Result<Value, (&'static str, String)>;

fn ids(v: Option<&Value>) -> Vec<i64> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

fn bad(what: &str) -> (&'static str, String) {
    (
        "builtins.ValueError",
        format!("Invalid arguments for {what}"),
    )
}

impl Data {
    fn ensure_log(&mut self, wizard_id: i64, detail: &str) {
        let Some(wizard) = self.wizards.get(&wizard_id).cloned() else {
            return;
        };
        match wizard.log_id.and_then(|id| self.logs.get_mut(&id)) {
            Some(log) => {
                log.execution_details.push('\n');
                log.execution_details.push_str(detail);
            }
            None => {
                let id = self.id();
                self.logs.insert(
                    id,
                    OdooLog {
                        id,
                        anonymized_email: anonymize_email(&wizard.email),
                        execution_details: detail.to_owned(),
                        additional_note: None,
                    },
                );
                if let Some(w) = self.wizards.get_mut(&wizard_id) {
                    w.log_id = Some(id);
                }
            }
        }
    }

    fn execute(&mut self, model: &str, method: &str, args: &[Value], kwargs: &Value) -> RpcResult {
        match (model, method) {
            ("privacy.lookup.wizard", "create") => {
                let vals = args.first().ok_or_else(|| bad("create"))?;
                let name = vals.get("name").and_then(Value::as_str);
                let email = vals.get("email").and_then(Value::as_str);
                let (Some(name), Some(email)) = (name, email) else {
                    return Err((
                        "odoo.exceptions.ValidationError",
                        "The fields name and email are required".to_owned(),
                    ));
                };
                if !email.contains('@') {
                    return Err((
                        "odoo.exceptions.UserError",
                        "Invalid email address".to_owned(),
                    ));
                }
                let id = self.id();
                self.wizards.insert(
                    id,
                    Wizard {
                        name: name.to_owned(),
                        email: email.to_owned(),
                        log_id: None,
                    },
                );
                Ok(json!(id))
            }
            ("privacy.lookup.wizard", "action_lookup") => {
                for wid in ids(args.first()) {
                    let Some(w) = self.wizards.get(&wid).cloned() else {
                        return Err((
                            "odoo.exceptions.MissingError",
                            "Record does not exist".to_owned(),
                        ));
                    };
                    self.lines.retain(|_, l| l.wizard_id != wid);
                    let found: Vec<OdooRecord> = self
                        .records
                        .iter()
                        .filter(|r| {
                            r.email.eq_ignore_ascii_case(&w.email)
                                || r.name.to_lowercase() == w.name.to_lowercase()
                        })
                        .cloned()
                        .collect();
                    for r in found {
                        let id = self.id();
                        self.lines.insert(
                            id,
                            Line {
                                wizard_id: wid,
                                res_model: r.model,
                                res_id: r.id,
                                res_name: r.name,
                                is_active: r.active,
                                is_unlinked: false,
                                execution_details: None,
                            },
                        );
                    }
                }
                Ok(
                    json!({"type": "ir.actions.act_window", "res_model": "privacy.lookup.wizard.line", "view_mode": "tree"}),
                )
            }
            ("privacy.lookup.wizard.line", "search_read") => {
                // Only the domain the recipe uses: [["wizard_id", "=", id]].
                let domain = args
                    .first()
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("search_read"))?;
                let wid = match domain.as_slice() {
                    [leaf] => match leaf.as_array().map(Vec::as_slice) {
                        Some([f, op, v]) if f == "wizard_id" && op == "=" => v.as_i64(),
                        _ => None,
                    },
                    _ => None,
                }
                .ok_or_else(|| bad("search_read domain"))?;
                let fields: Vec<String> = kwargs
                    .get("fields")
                    .and_then(Value::as_array)
                    .map(|f| {
                        f.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_else(|| {
                        [
                            "res_model",
                            "res_id",
                            "res_name",
                            "is_active",
                            "is_unlinked",
                            "execution_details",
                        ]
                        .map(str::to_owned)
                        .to_vec()
                    });
                let rows: Vec<Value> = self
                    .lines
                    .iter()
                    .filter(|(_, l)| l.wizard_id == wid)
                    .map(|(id, l)| {
                        let all = json!({
                            "res_model": l.res_model,
                            "res_id": l.res_id,
                            "res_name": l.res_name,
                            "is_active": l.is_active,
                            "has_active": true,
                            "is_unlinked": l.is_unlinked,
                            "execution_details": l.execution_details.clone().map_or(json!(false), Value::String),
                            "wizard_id": [wid, "privacy.lookup.wizard"],
                        });
                        let mut row = serde_json::Map::new();
                        row.insert("id".to_owned(), json!(id));
                        for f in &fields {
                            row.insert(f.clone(), all.get(f).cloned().unwrap_or(json!(false)));
                        }
                        Value::Object(row)
                    })
                    .collect();
                Ok(Value::Array(rows))
            }
            ("privacy.lookup.wizard.line", m @ ("action_unlink_all" | "action_archive_all")) => {
                let unlink = m == "action_unlink_all";
                for lid in ids(args.first()) {
                    let Some(line) = self.lines.get(&lid).cloned() else {
                        return Err((
                            "odoo.exceptions.MissingError",
                            "Record does not exist".to_owned(),
                        ));
                    };
                    let detail = if unlink {
                        self.records
                            .retain(|r| !(r.model == line.res_model && r.id == line.res_id));
                        format!("Deleted {} #{}", line.res_model, line.res_id)
                    } else {
                        for r in self.records.iter_mut() {
                            if r.model == line.res_model && r.id == line.res_id {
                                r.active = false;
                            }
                        }
                        format!("Archived {} #{}", line.res_model, line.res_id)
                    };
                    if let Some(l) = self.lines.get_mut(&lid) {
                        if unlink {
                            l.is_unlinked = true;
                        } else {
                            l.is_active = false;
                        }
                        l.execution_details = Some(detail.clone());
                    }
                    self.ensure_log(line.wizard_id, &detail);
                }
                // These methods return None, which JSON-RPC carries as null.
                Ok(Value::Null)
            }
            ("privacy.lookup.wizard", "read") => {
                let rows: Vec<Value> = ids(args.first())
                    .into_iter()
                    .filter_map(|wid| {
                        let w = self.wizards.get(&wid)?;
                        Some(json!({
                            "id": wid,
                            "name": w.name,
                            "email": w.email,
                            "log_id": w.log_id.map_or(json!(false), |l| json!([l, "Administrator"])),
                        }))
                    })
                    .collect();
                Ok(Value::Array(rows))
            }
            ("privacy.log", "write") => {
                let note = args
                    .get(1)
                    .and_then(|v| v.get("additional_note"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("write"))?;
                for id in ids(args.first()) {
                    let Some(log) = self.logs.get_mut(&id) else {
                        return Err((
                            "odoo.exceptions.MissingError",
                            "Record does not exist".to_owned(),
                        ));
                    };
                    log.additional_note = Some(note.to_owned());
                }
                Ok(json!(true))
            }
            ("mail.blacklist", "create") => {
                let email = args
                    .first()
                    .and_then(|v| v.get("email"))
                    .and_then(Value::as_str)
                    .filter(|e| e.contains('@'))
                    .ok_or_else(|| {
                        (
                            "odoo.exceptions.UserError",
                            "Invalid email address".to_owned(),
                        )
                    })?
                    .to_lowercase();
                // Odoo returns the existing entry instead of failing on the unique constraint.
                if let Some((id, _)) = self.blacklist.iter().find(|(_, e)| *e == email) {
                    return Ok(json!(id));
                }
                let id = self.id();
                self.blacklist.push((id, email));
                Ok(json!(id))
            }
            _ => Err((
                "builtins.AttributeError",
                format!("The method '{method}' does not exist on the model '{model}'"),
            )),
        }
    }
}

fn reply(id: &Value, result: RpcResult) -> Response {
    match result {
        Ok(result) => Json(json!({"jsonrpc": "2.0", "id": id, "result": result})),
        Err((name, message)) => Json(json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {
                "code": 200,
                "message": "Odoo Server Error",
                "data": {"name": name, "message": message, "arguments": [message], "debug": ""},
            },
        })),
    }
    .into_response()
}

async fn jsonrpc(State(s): State<Arc<OdooState>>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = body.get("id").cloned().unwrap_or(Value::Null);
    let params = body.get("params").cloned().unwrap_or(Value::Null);
    let service = params
        .get("service")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let method = params
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let args: Vec<Value> = params
        .get("args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut data = lock(&s.data);
    let result = match (service, method) {
        ("common", "authenticate") => {
            data.calls.push("common.authenticate".to_owned());
            let ok = args.first().and_then(Value::as_str) == Some(s.db.as_str())
                && args.get(1).and_then(Value::as_str) == Some(s.login.as_str())
                && args.get(2).and_then(Value::as_str) == Some(s.api_key.as_str());
            // Wrong credentials are not an error: the answer is `false`.
            Ok(if ok { json!(s.uid) } else { json!(false) })
        }
        ("common", "version") => Ok(json!({"server_version": "17.0", "protocol_version": 1})),
        ("object", "execute_kw") => {
            let authorised = args.first().and_then(Value::as_str) == Some(s.db.as_str())
                && args.get(1).and_then(Value::as_i64) == Some(s.uid)
                && args.get(2).and_then(Value::as_str) == Some(s.api_key.as_str());
            let model = args.get(3).and_then(Value::as_str).unwrap_or_default();
            let kw_method = args.get(4).and_then(Value::as_str).unwrap_or_default();
            let margs: Vec<Value> = args
                .get(5)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let kwargs = args.get(6).cloned().unwrap_or_else(|| json!({}));
            data.calls.push(format!("{model}.{kw_method}"));
            if !authorised {
                Err(("odoo.exceptions.AccessDenied", "Access Denied".to_owned()))
            } else if data.failing.as_deref() == Some(kw_method) {
                Err((
                    "odoo.exceptions.AccessError",
                    format!("You are not allowed to call {kw_method} on {model}"),
                ))
            } else {
                data.execute(model, kw_method, &margs, &kwargs)
            }
        }
        _ => Err(("werkzeug.exceptions.NotFound", "404: Not Found".to_owned())),
    };
    reply(&id, result)
}

/// The Odoo stand-in.
pub fn odoo(seed: OdooSeed) -> Standin<OdooState> {
    let common = Arc::new(Common::default());
    let next_id = seed.records.iter().map(|r| r.id).max().unwrap_or(0) + 100;
    let state = Arc::new(OdooState {
        common: Arc::clone(&common),
        db: seed.db,
        login: seed.login,
        api_key: seed.api_key,
        uid: seed.uid,
        data: Mutex::new(Data {
            records: seed.records,
            next_id,
            ..Data::default()
        }),
    });
    let routes = Router::new().route("/jsonrpc", post(jsonrpc));
    finish(routes, state, common)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_like_odoo_does() {
        assert_eq!(
            anonymize_email("rintin.tin@gmail.com"),
            "r*****.t**@gmail.com"
        );
        assert_eq!(anonymize_email("jane@acme.example"), "j***@a***.example");
    }
}
