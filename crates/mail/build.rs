//! Embeds the `templates/email` tree into the binary as `email_templates.rs` in `OUT_DIR`:
//! every `*.j2` file, so the binary carries every template and needs no files at run time (an
//! override folder can still win, see `Templates::with_override_dir`).

include!("../embed_templates.rs");

fn main() -> io::Result<()> {
    embed_templates("email", &["j2"], "email_templates.rs")
}
