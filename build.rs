//! Release binaries on Linux keep their debug info (line tables, see the
//! profiles in Cargo.toml) zlib-compressed: a fifth of the size, and
//! backtraces, gdb, perf and valgrind read it as it is. In a build script
//! rather than .cargo/config.toml so that `cargo install` gets it too.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    // "release" for every profile that inherits from it (bench, profiling).
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    if linux && release {
        println!("cargo:rustc-link-arg-bins=-Wl,--compress-debug-sections=zlib");
    }
}
