-- Sample source for the compose stack: the reference document's own example
-- (dtstestdata.dbo.customer and dbo.Student) with CDC enabled.
IF DB_ID('dtstestdata') IS NULL CREATE DATABASE dtstestdata;
GO
ALTER DATABASE dtstestdata SET ALLOW_SNAPSHOT_ISOLATION ON;
GO
USE dtstestdata;
GO
IF OBJECT_ID('dbo.customer') IS NULL
  CREATE TABLE dbo.customer (id int NOT NULL PRIMARY KEY, name nvarchar(100) NOT NULL, city nvarchar(50) NULL, balance decimal(18,2) NOT NULL, updated_at datetime2(3) NOT NULL);
IF OBJECT_ID('dbo.Student') IS NULL
  CREATE TABLE dbo.Student (id int NOT NULL PRIMARY KEY, name nvarchar(100) NOT NULL, age tinyint NULL, enrolled date NULL);
GO
IF (SELECT is_cdc_enabled FROM sys.databases WHERE name = 'dtstestdata') = 0 EXEC sys.sp_cdc_enable_db;
GO
IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = 'dbo_customer')
  EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'customer', @role_name = NULL;
IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = 'dbo_Student')
  EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'Student', @role_name = NULL;
GO
