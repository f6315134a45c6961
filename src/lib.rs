//! Vigil library
