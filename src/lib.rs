//! Vigil library
pub mod screen;
