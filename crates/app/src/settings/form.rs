//! `[form]`: the public pages (request form, status page), their theme and their abuse limits.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[form]`: the public request form, its theme and its abuse limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FormSection {
    /// Serve `GET|POST /request` (the status page is always served).
    pub enabled: bool,
    /// A folder whose page templates and `i18n/<lang>.toml` catalogues win over the built-in
    /// ones, file by file (catalogues key by key).
    pub templates_dir: Option<String>,
    /// The name in the page header; default: `controller.name`.
    pub organisation: Option<String>,
    /// A logo for the header: `https://…`, `/…` (served by your proxy) or `data:image/…`.
    pub logo_url: Option<String>,
    /// The accent colour, `#rgb` or `#rrggbb`, with at least 4.5:1 contrast against white.
    pub primary_color: String,
    /// Form submissions accepted per client address per hour.
    pub rate_limit_per_ip_per_hour: u32,
    /// Requests accepted per subject address per day.
    pub rate_limit_per_address_per_day: u32,
    /// Take the client address from the first `X-Forwarded-For` hop (only behind a proxy that
    /// sets it).
    pub trust_forwarded_for: bool,
}

impl Default for FormSection {
    fn default() -> Self {
        let d = FormSettings::default();
        Self {
            enabled: d.enabled,
            templates_dir: None,
            organisation: None,
            logo_url: None,
            primary_color: d.primary_color,
            rate_limit_per_ip_per_hour: d.rate_limit_per_ip_per_hour,
            rate_limit_per_address_per_day: d.rate_limit_per_address_per_day,
            trust_forwarded_for: d.trust_forwarded_for,
        }
    }
}

/// `[form]`: the public pages (request form, status page) and their theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSettings {
    /// Whether `GET|POST /request` is served (the status page is always served).
    pub enabled: bool,
    /// A folder whose page templates and message catalogues replace or add to the built-in
    /// ones, file by file (catalogues key by key).
    pub templates_dir: Option<std::path::PathBuf>,
    /// The name in the page header; None: the controller's name.
    pub organisation: Option<String>,
    /// A logo shown in the header (`https://…`, `/…` or a `data:image/…` URL).
    pub logo_url: Option<String>,
    /// The accent colour (`#rgb` or `#rrggbb`); it carries white text, so it must reach the
    /// WCAG AA contrast of 4.5:1 against white (see [`check_primary_color`]).
    pub primary_color: String,
    /// Form submissions accepted from one client address per hour.
    pub rate_limit_per_ip_per_hour: u32,
    /// Requests accepted for one subject address per day.
    pub rate_limit_per_address_per_day: u32,
    /// Take the client address from the first `X-Forwarded-For` hop (only behind a proxy
    /// that sets it); otherwise the socket peer address is used.
    pub trust_forwarded_for: bool,
}

/// The default accent colour: a dark blue with a contrast of about 8.6:1 against white.
pub const DEFAULT_PRIMARY_COLOR: &str = "#1a4a8a";

impl Default for FormSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            templates_dir: None,
            organisation: None,
            logo_url: None,
            primary_color: DEFAULT_PRIMARY_COLOR.to_owned(),
            rate_limit_per_ip_per_hour: 10,
            rate_limit_per_address_per_day: 3,
            trust_forwarded_for: false,
        }
    }
}

/// Parses a CSS hex colour (`#rgb` or `#rrggbb`) into its red, green and blue bytes.
pub fn parse_hex_color(raw: &str) -> Option<[u8; 3]> {
    let hex = raw.strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |s: &str| u8::from_str_radix(s, 16).ok();
    match hex.len() {
        3 => {
            let mut out = [0u8; 3];
            for (i, c) in hex.chars().enumerate() {
                let v = channel(&c.to_string())?;
                *out.get_mut(i)? = v * 17;
            }
            Some(out)
        }
        6 => Some([
            channel(hex.get(0..2)?)?,
            channel(hex.get(2..4)?)?,
            channel(hex.get(4..6)?)?,
        ]),
        _ => None,
    }
}

/// The WCAG 2 contrast ratio between a colour and white (1.0 to 21.0).
pub fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
    1.05 / (l + 0.05)
}

/// Checks an accent colour: a CSS hex colour that white text on it (buttons) and it on white
/// (links, focus rings) can be read against, i.e. WCAG 2.1 AA's 4.5:1 for normal text.
pub fn check_primary_color(raw: &str) -> Result<(), String> {
    let rgb = parse_hex_color(raw)
        .ok_or_else(|| format!("{raw:?} is not a CSS hex colour such as #1a4a8a"))?;
    let ratio = contrast_with_white(rgb);
    if ratio < 4.5 {
        return Err(format!(
            "{raw} has a contrast of {ratio:.1}:1 with white; WCAG AA needs at least 4.5:1 (choose a darker colour)"
        ));
    }
    Ok(())
}

/// Checks `[form]`; an error names the key.
pub fn validate(raw: &FormSection) -> Result<FormSettings, ConfigError> {
    let fail = |key: &str, m: &dyn std::fmt::Display| {
        ConfigError::new(format!("form.{key}"), m.to_string())
    };
    check_primary_color(&raw.primary_color).map_err(|m| fail("primary_color", &m))?;
    if let Some(logo) = &raw.logo_url {
        check_logo_url(logo).map_err(|m| fail("logo_url", &m))?;
    }
    if let Some(org) = &raw.organisation
        && (org.trim().is_empty() || org.chars().count() > 200)
    {
        return Err(fail("organisation", &"must be 1 to 200 characters"));
    }
    if let Some(dir) = &raw.templates_dir
        && !Path::new(dir).is_dir()
    {
        return Err(fail("templates_dir", &format!("{dir:?} is not a folder")));
    }
    if !(1..=100_000).contains(&raw.rate_limit_per_ip_per_hour) {
        return Err(fail(
            "rate_limit_per_ip_per_hour",
            &"must be between 1 and 100000",
        ));
    }
    if !(1..=1000).contains(&raw.rate_limit_per_address_per_day) {
        return Err(fail(
            "rate_limit_per_address_per_day",
            &"must be between 1 and 1000",
        ));
    }
    Ok(FormSettings {
        enabled: raw.enabled,
        templates_dir: raw.templates_dir.as_ref().map(PathBuf::from),
        organisation: raw.organisation.as_ref().map(|o| o.trim().to_owned()),
        logo_url: raw.logo_url.clone(),
        primary_color: raw.primary_color.to_ascii_lowercase(),
        rate_limit_per_ip_per_hour: raw.rate_limit_per_ip_per_hour,
        rate_limit_per_address_per_day: raw.rate_limit_per_address_per_day,
        trust_forwarded_for: raw.trust_forwarded_for,
    })
}

/// Checks a logo URL: `https://…`, `http://…`, a path on this site (`/…`) or a
/// `data:image/…` URL, without spaces or quotes (it goes into an attribute and the CSP).
pub fn check_logo_url(raw: &str) -> Result<(), String> {
    let lower = raw.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://")
        || lower.starts_with("http://")
        || (lower.starts_with('/') && !lower.starts_with("//"))
        || lower.starts_with("data:image/");
    if !scheme_ok {
        return Err("must start with https://, http://, / or data:image/".to_owned());
    }
    if raw
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | ';'))
        && !lower.starts_with("data:image/")
    {
        return Err("must not contain spaces, quotes, angle brackets or semicolons".to_owned());
    }
    if lower.starts_with("data:image/") && raw.chars().any(|c| c.is_whitespace() || c == '"') {
        return Err("a data: URL must not contain spaces or quotes".to_owned());
    }
    Ok(())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn the_default_accent_colour_passes_its_own_contrast_check() {
        assert_eq!(check_primary_color(DEFAULT_PRIMARY_COLOR), Ok(()));
        assert!(contrast_with_white(parse_hex_color(DEFAULT_PRIMARY_COLOR).unwrap()) > 7.0);
    }

    #[test]
    fn accent_colours_are_parsed_and_light_ones_refused() {
        assert_eq!(parse_hex_color("#fff"), Some([255, 255, 255]));
        assert_eq!(parse_hex_color("#1A4a8a"), Some([0x1a, 0x4a, 0x8a]));
        assert_eq!(parse_hex_color("1a4a8a"), None);
        assert_eq!(parse_hex_color("#12345"), None);
        assert_eq!(parse_hex_color("#gggggg"), None);
        assert!(check_primary_color("#000").is_ok());
        let err = check_primary_color("#ffcc00").unwrap_err();
        assert!(err.contains("4.5:1"), "{err}");
        assert!(check_primary_color("red").is_err());
    }
}
