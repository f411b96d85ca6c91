"""Subcommands of the survey study (survey-supermask, survey-edgepopup, survey-imp, survey-overlap,
survey-linearised, survey-manifold, survey-claims, plot-survey)."""
