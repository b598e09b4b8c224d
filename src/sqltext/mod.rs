//! Reads SQL text people wrote: splits it into statements with their lines (`split`),
//! finds what each statement defines and references and sorts files into load layers
//! (`order`), and locates statements in their source files (`source`). Used by loading,
//! lint and the commands; rendering changes to SQL is another matter (`sql`, the kinds).
//! Pure: no I/O.

pub mod order;
pub mod source;
pub mod split;
