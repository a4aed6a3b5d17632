//! JSON pointers (RFC 6901) with one extension: a `*` segment selects every element of an array
//! (or every value of an object), so `/data/*/id` yields the `id` of each element of `data`.

use serde_json::Value;

/// One segment of a pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// An object key or an array index.
    Key(String),
    /// Every element.
    Any,
}

/// A parsed pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    segments: Vec<Segment>,
}

impl Pointer {
    /// Parses `""` (the whole document) or `/a/b/*/c`. `~1` stands for `/` and `~0` for `~`
    /// inside a key, as in RFC 6901.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Ok(Self {
                segments: Vec::new(),
            });
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!(
                "{text:?} is not a JSON pointer (it must start with /)"
            ));
        };
        let segments = rest
            .split('/')
            .map(|s| {
                if s == "*" {
                    Segment::Any
                } else {
                    Segment::Key(s.replace("~1", "/").replace("~0", "~"))
                }
            })
            .collect();
        Ok(Self { segments })
    }

    /// Whether the pointer has a `*` segment (so it selects a list).
    pub fn has_wildcard(&self) -> bool {
        self.segments.contains(&Segment::Any)
    }

    /// Every value the pointer selects, in document order. JSON `null` values are left out.
    pub fn select<'v>(&self, value: &'v Value) -> Vec<&'v Value> {
        let mut current = vec![value];
        for seg in &self.segments {
            let mut next = Vec::new();
            for v in current {
                match seg {
                    Segment::Any => match v {
                        Value::Array(items) => next.extend(items.iter()),
                        Value::Object(map) => next.extend(map.values()),
                        _ => {}
                    },
                    Segment::Key(k) => match v {
                        Value::Object(map) => next.extend(map.get(k)),
                        Value::Array(items) => {
                            next.extend(k.parse::<usize>().ok().and_then(|i| items.get(i)))
                        }
                        _ => {}
                    },
                }
            }
            current = next;
        }
        current.retain(|v| !v.is_null());
        current
    }

    /// The single value a pointer without wildcard selects, treating `null` and `false` as
    /// absent (Odoo answers `false` for an empty many2one and for a failed `authenticate`).
    pub fn select_one<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.select(value)
            .into_iter()
            .next()
            .filter(|v| !matches!(v, Value::Bool(false)))
    }

    /// A mutable reference to the value at a pointer without wildcard.
    pub fn select_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
        let mut current = value;
        for seg in &self.segments {
            current = match (seg, current) {
                (Segment::Key(k), Value::Object(map)) => map.get_mut(k)?,
                (Segment::Key(k), Value::Array(items)) => {
                    items.get_mut(k.parse::<usize>().ok()?)?
                }
                _ => return None,
            };
        }
        Some(current)
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on a broken fixture"
)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Pointer {
        Pointer::parse(s).unwrap()
    }

    #[test]
    fn wildcards_select_every_element() {
        let doc = json!({"data": [{"id": "a"}, {"id": "b"}, {"other": 1}]});
        let ids: Vec<&Value> = p("/data/*/id").select(&doc);
        assert_eq!(ids, vec![&json!("a"), &json!("b")]);
        assert!(p("/data/*/id").has_wildcard());
    }

    #[test]
    fn indexes_escapes_and_the_root_work() {
        let doc = json!({"a/b": [10, 20], "m~n": true});
        assert_eq!(p("/a~1b/1").select(&doc), vec![&json!(20)]);
        assert_eq!(p("/m~0n").select(&doc), vec![&json!(true)]);
        assert_eq!(p("").select(&doc), vec![&doc]);
        assert!(Pointer::parse("data").is_err());
    }

    #[test]
    fn false_and_null_count_as_absent_for_single_values() {
        let doc = json!({"result": false, "log": null, "uid": 2});
        assert_eq!(p("/result").select_one(&doc), None);
        assert_eq!(p("/log").select_one(&doc), None);
        assert_eq!(p("/uid").select_one(&doc), Some(&json!(2)));
    }

    #[test]
    fn select_mut_reaches_nested_arrays() {
        let mut doc = json!({"data": [1, 2]});
        if let Some(v) = p("/data").select_mut(&mut doc) {
            *v = json!([]);
        }
        assert_eq!(doc, json!({"data": []}));
    }
}
