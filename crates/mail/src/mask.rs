//! Masking addresses for logs and errors: `alice@example.com` becomes `a***@e***.com`, the same
//! form as [`SubjectEmail::masked`](dsrflow_domain::SubjectEmail::masked).

use dsrflow_domain::SubjectEmail;

fn mask_word(word: &str) -> String {
    word.chars()
        .next()
        .map(|c| format!("{c}***"))
        .unwrap_or_default()
}

/// Masks an address for logs. Valid addresses are masked exactly like
/// [`SubjectEmail::masked`]; anything else still keeps only first letters.
pub fn mask_address(address: &str) -> String {
    if let Ok(email) = SubjectEmail::parse(address) {
        return email.masked();
    }
    match address.trim().rsplit_once('@') {
        Some((local, domain)) => {
            let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
            format!("{}@{}.{}", mask_word(local), mask_word(host), tld)
        }
        None => "***".to_owned(),
    }
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '.' || c == '-'
}

/// Replaces every address-like token in `text` with its masked form (used on SMTP replies, which
/// often quote the recipient).
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = i;
            while start > copied && is_local_char(chars[start - 1]) {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && is_domain_char(chars[end]) {
                end += 1;
            }
            while end > i + 1 && chars[end - 1] == '.' {
                end -= 1;
            }
            if start < i && end > i + 1 {
                out.extend(&chars[copied..start]);
                let token: String = chars[start..end].iter().collect();
                out.push_str(&mask_address(&token));
                copied = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out.extend(&chars[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_smtp_replies_are_masked() {
        let reply = "550 5.1.1 <Alice.Smith@Example.com>: Recipient address rejected; bob@x.org.";
        let scrubbed = scrub(reply);
        assert_eq!(
            scrubbed,
            "550 5.1.1 <a***@e***.com>: Recipient address rejected; b***@x***.org."
        );
        assert!(!scrubbed.contains("Smith"));
    }

    #[test]
    fn text_without_addresses_is_unchanged() {
        assert_eq!(
            scrub("connection refused @ port 25"),
            "connection refused @ port 25"
        );
        assert_eq!(mask_address("not an address"), "***");
        assert_eq!(mask_address("weird@@host"), "w***@h***.");
    }
}
