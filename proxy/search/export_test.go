package search

// StrictValid reports whether data passes the package's strict parser, so
// external tests can hold outputs to the same rules as inputs.
func StrictValid(data []byte) error {
	_, err := parse(data)
	return err
}
