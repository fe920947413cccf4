//! The in-container lifecycle of Smelter (ARCHITECTURE.md, "lifecycle"): `builder` runs CF
//! buildpacks (`bin/detect`, `bin/supply`, `bin/finalize`, `bin/release`, legacy `bin/compile`)
//! and writes the droplet; `launcher` sets the CF environment and execs the start command.
//! Both are copied into pods at `/tmp/lifecycle/`. They are built by the operator issue; this
//! crate holds their place in the workspace until then.
#![forbid(unsafe_code)]
