//! The UI languages and the string catalogues (`locales/vi.toml`,
//! `locales/en.toml`). Vietnamese is the default.
use std::collections::HashMap;

use serde::Serialize;

/// A UI language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vi" | "vi-vn" => Some(Lang::Vi),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks a language from an `Accept-Language` header value.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(|tag| {
                let primary = tag.trim().split('-').next().unwrap_or("");
                Lang::parse(primary)
            })
    }

    /// Picks between two texts, Vietnamese first.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// Both catalogues, loaded once at start-up.
#[derive(Debug)]
pub struct Catalogue {
    vi: HashMap<String, String>,
    en: HashMap<String, String>,
    vi_value: tera::Value,
    en_value: tera::Value,
}

const VI: &str = include_str!("../locales/vi.toml");
const EN: &str = include_str!("../locales/en.toml");

impl Catalogue {
    pub fn load() -> anyhow::Result<Catalogue> {
        let vi: HashMap<String, String> = toml::from_str(VI)?;
        let en: HashMap<String, String> = toml::from_str(EN)?;
        let vi_value = serde_json::to_value(&vi)?;
        let en_value = serde_json::to_value(&en)?;
        Ok(Catalogue {
            vi,
            en,
            vi_value,
            en_value,
        })
    }

    /// The text for `key`, falling back to Vietnamese, then to the key itself.
    pub fn get<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        let primary = match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        };
        primary
            .get(key)
            .or_else(|| self.vi.get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// The whole catalogue as a template value (`{{ t.key }}`).
    pub fn as_value(&self, lang: Lang) -> &tera::Value {
        match lang {
            Lang::Vi => &self.vi_value,
            Lang::En => &self.en_value,
        }
    }

    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let map = match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        };
        map.keys().map(String::as_str).collect()
    }
}

tokio::task_local! {
    static REQUEST_LANG: Lang;
}

/// The language of the request being served (set by the language
/// middleware), Vietnamese outside a request.
pub fn current() -> Lang {
    REQUEST_LANG.try_with(|l| *l).unwrap_or_default()
}

/// Runs `fut` with `lang` as the request language.
pub async fn scope<F: std::future::Future>(lang: Lang, fut: F) -> F::Output {
    REQUEST_LANG.scope(lang, fut).await
}

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "lang";

/// Chooses the language of a request: `?lang=`, the cookie, `Accept-Language`, the default.
pub fn negotiate(req: &actix_web::HttpRequest, default: Lang) -> Lang {
    if let Some(q) = req.uri().query() {
        for pair in q.split('&') {
            if let Some(v) = pair.strip_prefix("lang=")
                && let Some(l) = Lang::parse(v)
            {
                return l;
            }
        }
    }
    if let Some(c) = req.cookie(LANG_COOKIE)
        && let Some(l) = Lang::parse(c.value())
    {
        return l;
    }
    req.headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or(default)
}
