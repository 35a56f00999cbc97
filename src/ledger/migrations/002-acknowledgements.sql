-- X12 input: the envelope analysis of each functional group, kept for the 997 the result carries.
ALTER TABLE gateway.files ADD COLUMN acknowledgements jsonb;

-- Our own 997 interchange/group control numbers (ISA13/GS06 allow nine digits).
CREATE SEQUENCE gateway.ack_control_numbers MINVALUE 1 MAXVALUE 999999999 CYCLE;
