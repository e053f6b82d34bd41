"""Files for people: the export, the blank template, the sample returns and the xlsx writer."""
