// Package ml owns lakebench's model training and evaluation: turning feature
// tables into matrices, the trainers (logistic regression for now), and the
// metrics that judge them, such as ROC AUC.
package ml
