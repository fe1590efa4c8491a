//! UniFFI's bindings generator: `uniffi-bindgen generate --library
//! <libtradeport_mobile_ffi> --language kotlin|swift --out-dir <dir>`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
