"""Exchange formats: the one model definition written out for other tools (SBML, SED-ML, COMBINE)."""
