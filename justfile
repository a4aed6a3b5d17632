# Short aliases; CI uses .ci/run (plain bash + cargo).

# Run the service on the embedded SQLite default.
run:
    cargo run -p dsrflow-cli -- serve

# Run every test this machine can run (those needing PostgreSQL, MariaDB, Dovecot, Chromium…
# are listed as skipped, with what they need; `just ci` runs them all).
test:
    cargo nextest run --workspace

# Format and lint like CI.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything CI does.
ci:
    .ci/run

# Intake benchmark (release build), SQLite and, if set, PostgreSQL.
bench:
    cargo run --release -p dsrflow-cli -- bench intake
