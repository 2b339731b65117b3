-- One database per service, named as duban/stack.py derives them from DATABASE_URL
-- ("duban_" + the service name with "-" → "_"). Runs once, when the data volume is empty,
-- as POSTGRES_USER, which therefore owns them. `duban migrate` creates any that are missing
-- too, but only if its user may CREATE DATABASE; doing it here lets the services' role be plain.
CREATE DATABASE duban_plan_svc;
CREATE DATABASE duban_task_svc;
CREATE DATABASE duban_notify_svc;
CREATE DATABASE duban_report_svc;
