//! The README's "Using it" section, run as written against a served demo: every `sh` block, in
//! order, in one shell (so `TOKEN`, `ID`, … carry over), and every `# →` line checked against
//! what its command printed. Only the port (the demo runs on port 0 here) and
//! `cargo run -q -p dsrflow-cli --` (the binary under test) are substituted.
//!
//! A `# →` line is JSON or text; `…` stands for anything. JSON matches when every key it names
//! is there with a matching value (more keys may be present); text matches a whole output
//! line. Several `# →` lines after one command match output lines in order. A step without
//! side effects (no POST, no `ingest-mail`) is retried until it matches, for up to a minute:
//! the work behind it runs in the background.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::demo::Demo;

/// One command of the walkthrough and the lines it documents.
#[derive(Debug)]
struct Step {
    command: String,
    expected: Vec<String>,
}

/// The `sh` blocks of the README section `## Using it`, split into commands.
fn walkthrough(readme: &str) -> Vec<Step> {
    let start = readme
        .find("\n## Using it")
        .expect("the README has a section \"Using it\"");
    let rest = &readme[start + 1..];
    let section = &rest[..rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3)];
    let mut steps: Vec<Step> = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in section.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block && line.trim() == "```sh";
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(exp) = line.trim_start().strip_prefix("# →") {
            steps
                .last_mut()
                .expect("a `# →` line follows a command")
                .expected
                .push(exp.trim().to_owned());
            continue;
        }
        if pending.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        pending.push_str(line);
        pending.push('\n');
        // A command continues over a trailing backslash or an open single quote.
        let open_quote = pending.matches('\'').count() % 2 == 1;
        if !line.ends_with('\\') && !open_quote {
            steps.push(Step {
                command: std::mem::take(&mut pending),
                expected: Vec::new(),
            });
        }
    }
    assert!(pending.is_empty(), "an unfinished command: {pending}");
    steps
}

/// Whether `text` matches `pattern`, where `…` stands for anything.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// The JSON of a `# →` line with its bare `…` (outside strings) removed; None if not JSON.
fn expected_json(line: &str) -> Option<Value> {
    if !line.starts_with('{') && !line.starts_with('[') {
        return None;
    }
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c != '…' {
            out.push(c);
        }
    }
    // Commas left dangling by a removed `…`.
    let mut cleaned = out.clone();
    for _ in 0..4 {
        cleaned = cleaned
            .replace(", }", "}")
            .replace(",}", "}")
            .replace(",]", "]")
            .replace("{,", "{")
            .replace("[,", "[");
    }
    serde_json::from_str(&cleaned).ok()
}

/// Whether `actual` has everything `expected` names.
fn json_matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), Value::String(a)) => glob(e, a),
        (Value::String(e), _) if e == "…" => true,
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| json_matches(v, av))),
        (Value::Array(e), Value::Array(a)) => {
            e.iter().all(|ev| a.iter().any(|av| json_matches(ev, av)))
        }
        (e, a) => e == a,
    }
}

/// Whether the output lines match the documented lines, in order.
fn output_matches(expected: &[String], output: &str) -> bool {
    let mut lines = output.lines();
    expected.iter().all(|exp| {
        let as_json = expected_json(exp);
        lines.any(
            |line| match (&as_json, serde_json::from_str::<Value>(line.trim())) {
                (Some(e), Ok(a)) => json_matches(e, &a),
                _ => glob(exp, line.trim_end()),
            },
        )
    })
}

/// A bash process that runs one step at a time and keeps its variables.
struct Shell {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    errors: PathBuf,
}

const END: &str = "@@readme-step-end@@";

impl Shell {
    fn start(dir: &Path) -> Shell {
        let mut cmd = tokio::process::Command::new("bash");
        cmd.args(["--noprofile", "--norc"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("DSRFLOW_") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd.spawn().expect("bash");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Shell {
            child,
            stdin,
            stdout,
            errors: dir.join("readme-step.err"),
        }
    }

    /// Runs a command; returns its exit status, standard output and standard error.
    async fn run(&mut self, command: &str) -> (i32, String, String) {
        let script = format!(
            "set -o pipefail\n{{\n{command}\n}} 2>{err}\necho \"{END} $?\"\n",
            err = self.errors.display()
        );
        self.stdin.write_all(script.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
        let mut out = String::new();
        let status = loop {
            let line = tokio::time::timeout(Duration::from_secs(180), self.stdout.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!("no end after 3 minutes:\n{command}\noutput so far:\n{out}")
                })
                .unwrap()
                .expect("bash ended");
            if let Some(code) = line.strip_prefix(END) {
                break code.trim().parse().unwrap_or(-1);
            }
            out.push_str(&line);
            out.push('\n');
        };
        let err = std::fs::read_to_string(&self.errors).unwrap_or_default();
        (status, out, err)
    }
}

fn has_side_effects(command: &str) -> bool {
    command.contains("-X POST") || command.contains("ingest-mail") || command.contains("create")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs curl and jq (.ci/run installs them)"]
async fn the_readme_walkthrough_runs_as_written_against_the_demo() {
    for tool in ["curl", "jq", "bash"] {
        let found = std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(found, "{tool} is needed to run the README's walkthrough");
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let steps = walkthrough(&readme);
    let checks: usize = steps.iter().map(|s| s.expected.len()).sum();
    assert!(
        steps.len() >= 15 && checks >= 15,
        "the walkthrough lost its steps: {steps:#?}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(repo.join("examples"), dir.path().join("examples")).unwrap();
    let demo = Demo::start_in(dir.path()).await;
    let bin = format!("'{}'", env!("CARGO_BIN_EXE_dsrflow"));
    let mut shell = Shell::start(dir.path());
    for step in &steps {
        let command = step
            .command
            .replace("cargo run -q -p dsrflow-cli --", &bin)
            .replace("http://127.0.0.1:8080", &demo.base);
        let expected: Vec<String> = step
            .expected
            .iter()
            .map(|e| e.replace("http://127.0.0.1:8080", &demo.base))
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, out, err) = shell.run(&command).await;
            let ok = status == 0 && output_matches(&expected, &out);
            if ok {
                break;
            }
            if has_side_effects(&command) || Instant::now() > deadline {
                panic!(
                    "README step failed (exit {status}):\n{}\nexpected:\n{}\nprinted:\n{out}\nstderr:\n{err}",
                    step.command,
                    step.expected.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let _ = shell.child.kill().await;
    demo.stop().await;
}

#[test]
fn the_matcher_knows_wildcards_json_subsets_and_order() {
    assert!(glob(
        "audit chain intact: … events verified",
        "audit chain intact: 12 events verified"
    ));
    assert!(!glob(
        "audit chain intact: … events verified",
        "audit chain BROKEN at event 3"
    ));
    assert!(glob("303", "303") && !glob("303", "3030"));
    let e = expected_json(r#"{"id":"…","status":"received",…}"#).unwrap();
    assert!(json_matches(
        &e,
        &serde_json::json!({"id": "x", "status": "received", "more": 1})
    ));
    assert!(!json_matches(
        &e,
        &serde_json::json!({"id": "x", "status": "denied"})
    ));
    assert!(!json_matches(
        &e,
        &serde_json::json!({"status": "received"})
    ));
    let e = expected_json(r#"{"reference":"DSR-…"}"#).unwrap();
    assert!(json_matches(
        &e,
        &serde_json::json!({"reference": "DSR-7K3QXPMA"})
    ));
    assert!(!json_matches(
        &e,
        &serde_json::json!({"reference": "REQ-1"})
    ));
    let lines = "{\"a\":1}\n{\"a\":2}\n";
    assert!(output_matches(
        &["{\"a\":1}".into(), "{\"a\":2}".into()],
        lines
    ));
    assert!(!output_matches(
        &["{\"a\":2}".into(), "{\"a\":1}".into()],
        lines
    ));
    assert!(!output_matches(&["{\"a\":3}".into()], lines));
    let steps = walkthrough(
        "# x\n## Using it\n```sh\nA=1 \\\n  B=2\necho '{\n}'\n# → {}\n# note\n```\n## Next\n```sh\nnot this\n```\n",
    );
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[0].command, "A=1 \\\n  B=2\n");
    assert_eq!(steps[1].expected, vec!["{}".to_owned()]);
}
