// Shared by the build scripts of the mail and web crates (`include!`d, not a crate): embeds a
// folder of `templates/` into the binary.
//
// Walks `templates/<folder>` and writes `<output>` into `OUT_DIR`: a sorted table of
// `(relative path, include_str!(absolute path))` for every file with one of `extensions`, so
// the binary needs no files at run time (an override folder can still win at run time).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn collect(
    root: &Path,
    dir: &Path,
    extensions: &[&str],
    out: &mut Vec<(String, PathBuf)>,
) -> io::Result<()> {
    let mut entries = fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, extensions, out)?;
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
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

/// Embeds `templates/<folder>` (files ending in one of `extensions`) as `OUT_DIR/<output>`.
fn embed_templates(folder: &str, extensions: &[&str], output: &str) -> io::Result<()> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(io::Error::other)?);
    let root = manifest_dir.join("../../templates").join(folder);
    let root = root.canonicalize().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("the templates folder {} is missing: {e}", root.display()),
        )
    })?;
    // A directory here makes cargo rescan the whole tree for changes (new files included).
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../embed_templates.rs");

    let mut files = Vec::new();
    collect(&root, &root, extensions, &mut files)?;

    let mut code = format!(
        "/// Every file of `templates/{folder}`, as (path relative to that folder, contents).\n\
         pub(crate) static EMBEDDED: &[(&str, &str)] = &[\n"
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
    fs::write(out.join(output), code)
}
