DROP TABLE decisions;
DROP TABLE alerts;
DROP TABLE counterparties;
