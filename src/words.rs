//! Closed sets of words: enums whose JSON form, `as_str` and `Display` come
//! from one table, so a word is written once.

/// Declares an enum of words. Each variant names its word once; the macro
/// derives serde (both ways), `as_str`, `from_word` and `Display` from it.
///
/// ```text
/// words! {
///     /// A DMARC policy.
///     #[derive(Clone, Copy, Debug, PartialEq, Eq)]
///     pub enum Policy {
///         /// Deliver.
///         None = "none",
///         /// Reject.
///         Reject = "reject",
///     }
/// }
/// ```
macro_rules! words {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $word)] $variant ),+
        }

        impl $name {
            /// The word, as in JSON and human output.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word ),+
                }
            }

            /// The variant for a word (exact, lowercase).
            #[allow(dead_code)]
            pub fn from_word(word: &str) -> Option<$name> {
                match word {
                    $( $word => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

pub(crate) use words;
