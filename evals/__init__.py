"""Evaluation: question sets, metrics (plain functions), runs that write JSON and readable reports."""
