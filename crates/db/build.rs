// Embedded migrations must be re-embedded when a new .sql file appears.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
