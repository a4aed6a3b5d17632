//! Embeds the `templates/pages` tree into the binary as `page_templates.rs` in `OUT_DIR`: every
//! `*.j2` template and every `*.toml` message catalogue, so the binary carries the whole public
//! site and needs no files at run time (an override folder can still win, see `Site::load`).

include!("../embed_templates.rs");

fn main() -> io::Result<()> {
    embed_templates("pages", &["j2", "toml"], "page_templates.rs")
}
