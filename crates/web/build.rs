//! Embeds the `templates/pages` tree into the binary (the same way the mail crate embeds
//! `templates/email`).
//!
//! Walks the folder and writes `page_templates.rs` into `OUT_DIR`: a sorted table of
//! `(relative path, include_str!(absolute path))` for every `*.j2` template and every
//! `*.toml` message catalogue, so the binary carries the whole public site and needs no files
//! at run time (an override folder can still win, see `Site::load`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    let mut entries = fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "j2" || e == "toml") {
            let relative = path
                .strip_prefix(root)
                .map_err(|e| io::Error::other(e.to_string()))?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((relative, path));
        }
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(io::Error::other)?);
    let root = manifest_dir.join("../../templates/pages");
    let root = root.canonicalize().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "the page templates folder {} is missing: {e}",
                root.display()
            ),
        )
    })?;
    // A directory here makes cargo rescan the whole tree for changes (new files included).
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed=build.rs");

    let mut files = Vec::new();
    collect(&root, &root, &mut files)?;

    let mut code = String::from(
        "/// Every file of `templates/pages`, as (path relative to that folder, contents).\n\
         pub(crate) static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for (relative, path) in &files {
        let absolute = path.to_str().ok_or_else(|| {
            io::Error::other(format!("template path {} is not UTF-8", path.display()))
        })?;
        writeln!(code, "    ({relative:?}, include_str!({absolute:?})),")
            .map_err(io::Error::other)?;
    }
    code.push_str("];\n");

    let out = PathBuf::from(env::var("OUT_DIR").map_err(io::Error::other)?);
    fs::write(out.join("page_templates.rs"), code)
}
