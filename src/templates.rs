//! Page templates, embedded in the binary (read from disk in debug builds).
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct Files;

pub fn load() -> anyhow::Result<tera::Tera> {
    let mut tera = tera::Tera::default();
    let mut all = Vec::new();
    for name in Files::iter() {
        if let Some(file) = Files::get(&name) {
            let text = String::from_utf8(file.data.into_owned())?;
            all.push((name.to_string(), text));
        }
    }
    tera.add_raw_templates(all)?;
    tera.autoescape_on(vec![".html"]);
    Ok(tera)
}
