// embed_migrations! does not notice new migration folders without this.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
