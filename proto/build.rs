//! Compiles `identity/v1/*.proto` with a vendored `protoc`, so no system
//! install is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let include = protoc_bin_vendored::include_path()?;
    // Setting the variables is how prost-build finds protoc and the
    // well-known types; build scripts run single-threaded.
    unsafe_env(&protoc, &include);
    let protos = [
        "identity/v1/common.proto",
        "identity/v1/users.proto",
        "identity/v1/groups.proto",
        "identity/v1/tenants.proto",
        "identity/v1/schemas.proto",
        "identity/v1/admin.proto",
    ];
    for p in protos {
        println!("cargo:rerun-if-changed={p}");
    }
    // The encoded descriptors feed identity-core's gRPC server reflection.
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .protoc_arg("--experimental_allow_proto3_optional")
        .file_descriptor_set_path(out.join("identity_v1_descriptor.bin"))
        .compile_protos(&protos, &["."])?;
    Ok(())
}

#[allow(unsafe_code)]
fn unsafe_env(protoc: &std::path::Path, include: &std::path::Path) {
    // SAFETY: build scripts are single-threaded; nothing reads the
    // environment concurrently.
    unsafe {
        std::env::set_var("PROTOC", protoc);
        std::env::set_var("PROTOC_INCLUDE", include);
    }
}
