"""Call records: one per call (Asterisk Linkedid), built from AMI events and stored beside the orders."""
