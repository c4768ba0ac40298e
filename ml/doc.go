// Package ml owns lakebench's machine learning: reading tables into frames,
// feature preparation, the trainers (logistic, multinomial, linear and ridge
// regression on gonum), the metrics that judge them, and the model registry
// in the target's schema ml, shaped like MLflow's (runs, registered models,
// versions, aliases, artifacts, batch scorings; see registry.go).
package ml
