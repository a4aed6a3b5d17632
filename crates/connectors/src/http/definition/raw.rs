//! The definition file as written: serde shapes of the TOML, before validation.

use super::*;

pub(super) fn default_timeout() -> u64 {
    30
}
pub(super) fn default_burst() -> u32 {
    1
}
pub(super) fn default_max_pages() -> u32 {
    10
}
pub(super) fn default_start() -> u64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefinition {
    pub(super) name: String,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the file")]
    pub(super) description: Option<String>,
    pub(super) base_url: String,
    #[serde(default = "default_timeout")]
    pub(super) timeout_secs: u64,
    #[serde(default)]
    pub(super) rate_limit: Option<RawRateLimit>,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) auth: Option<RawAuth>,
    #[serde(default)]
    pub(super) response_error: Option<RawResponseError>,
    #[serde(default)]
    pub(super) manual: BTreeMap<TaskAction, String>,
    #[serde(default)]
    pub(super) check: Option<RawStep>,
    #[serde(default, rename = "step")]
    pub(super) steps: Vec<RawStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRateLimit {
    pub(super) per_second: f64,
    #[serde(default = "default_burst")]
    pub(super) burst: u32,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum RawAuth {
    None,
    Bearer {
        token: String,
    },
    Basic {
        username: String,
        password: String,
    },
    Header {
        name: String,
        value: String,
    },
    Oauth2ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
        #[serde(default)]
        scope: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawResponseError {
    pub(super) pointer: String,
    #[serde(default)]
    pub(super) message: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub(super) enum RawMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawBodyFormat {
    #[default]
    Json,
    Form,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawEffect {
    Found,
    Deleted,
    Anonymised,
    OptedOut,
    Restricted,
    Requested,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCollect {
    pub(super) dataset: String,
    pub(super) pointer: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilter {
    pub(super) array: String,
    pub(super) field: String,
    pub(super) equals: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum RawPagination {
    Cursor {
        cursor: String,
        param: String,
        #[serde(default = "default_max_pages")]
        max_pages: u32,
    },
    Page {
        #[serde(default)]
        param: Option<String>,
        #[serde(default = "default_start")]
        start: u64,
        items: String,
        #[serde(default = "default_max_pages")]
        max_pages: u32,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNote {
    pub(super) pointer: String,
    #[serde(default)]
    pub(super) label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    pub(super) name: String,
    #[serde(default)]
    pub(super) actions: Vec<TaskAction>,
    pub(super) method: RawMethod,
    pub(super) path: String,
    #[serde(default)]
    pub(super) query: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) body: Option<Value>,
    #[serde(default)]
    pub(super) body_format: RawBodyFormat,
    #[serde(default)]
    pub(super) for_each: Option<String>,
    #[serde(default)]
    pub(super) if_nonempty: Option<String>,
    #[serde(default)]
    pub(super) extract: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) require: Vec<String>,
    #[serde(default)]
    pub(super) collect: Option<RawCollect>,
    #[serde(default)]
    pub(super) filter: Option<RawFilter>,
    #[serde(default)]
    pub(super) pagination: Option<RawPagination>,
    #[serde(default)]
    pub(super) not_found: Vec<u16>,
    #[serde(default)]
    pub(super) success: Vec<u16>,
    #[serde(default)]
    pub(super) effect: Option<RawEffect>,
    #[serde(default)]
    pub(super) target: Option<String>,
    #[serde(default)]
    pub(super) count: Option<String>,
    #[serde(default)]
    pub(super) note: Option<RawNote>,
}
