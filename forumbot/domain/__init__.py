"""Pure domain logic: no discord, no database imports."""
