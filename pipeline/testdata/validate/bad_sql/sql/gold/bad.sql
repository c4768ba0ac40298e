select x from gold.good where
