"""Tests for the table-rate carrier plugin; they run with the rest of the suite."""
