-- Operational database: the read-only role of tap-postgres.
-- Run by psql as the administrator, on the operational database, with the variables
--   reader_user, reader_password
-- SELECT on the tables tap-postgres extracts (today: public.cars), nothing else.
\set ON_ERROR_STOP on

select format('create role %I login', :'reader_user')
where not exists (select from pg_roles where rolname = :'reader_user') \gexec
alter role :"reader_user" with login password :'reader_password';

revoke create on schema public from public;
select format('grant connect on database %I to %I', current_database(), :'reader_user') \gexec
grant usage on schema public to :"reader_user";
-- cars may not exist yet on a fresh server; the seed script grants it again.
select format('grant select on table public.cars to %I', :'reader_user')
where to_regclass('public.cars') is not null \gexec
