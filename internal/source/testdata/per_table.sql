-- snapshot first chunk, one key
SELECT TOP (@p1) [id], [name], [notes], [pic] FROM [dbo].[t] ORDER BY [id]

-- snapshot next chunk, one key
SELECT TOP (@p1) [id], [name], [notes], [pic] FROM [dbo].[t] WHERE ([id] > @p2) ORDER BY [id]

-- snapshot first chunk, three keys
SELECT TOP (@p1) [order_id], [line no], [sku], [amount] FROM [sales].[order]]lines] ORDER BY [order_id], [line no], [sku]

-- snapshot next chunk, three keys
SELECT TOP (@p1) [order_id], [line no], [sku], [amount] FROM [sales].[order]]lines] WHERE ([order_id] > @p2) OR ([order_id] = @p2 AND [line no] > @p3) OR ([order_id] = @p2 AND [line no] = @p3 AND [sku] > @p4) ORDER BY [order_id], [line no], [sku]

-- snapshot range, first chunk
SELECT TOP (@p1) [order_id], [line no], [sku], [amount] FROM [sales].[order]]lines] WHERE [order_id] >= @p2 AND [order_id] < @p3 ORDER BY [order_id], [line no], [sku]

-- snapshot range, next chunk
SELECT TOP (@p1) [order_id], [line no], [sku], [amount] FROM [sales].[order]]lines] WHERE (([order_id] > @p2) OR ([order_id] = @p2 AND [line no] > @p3) OR ([order_id] = @p2 AND [line no] = @p3 AND [sku] > @p4)) AND [order_id] >= @p5 AND [order_id] < @p6 ORDER BY [order_id], [line no], [sku]

-- snapshot last range, next chunk
SELECT TOP (@p1) [id], [name], [notes], [pic] FROM [dbo].[t] WHERE (([id] > @p2)) AND [id] >= @p3 ORDER BY [id]

-- key bounds
SELECT MIN([order_id]), MAX([order_id]) FROM [sales].[order]]lines]

-- changes, one key
SELECT __$start_lsn, __$seqval, __$operation, __$update_mask, [id], [name], [notes], [pic] FROM cdc.[fn_cdc_get_all_changes_dbo_t](@p1, @p2, N'all update old') ORDER BY __$start_lsn, __$seqval, __$operation

-- changes, quoted names
SELECT __$start_lsn, __$seqval, __$operation, __$update_mask, [order_id], [line no], [sku], [amount] FROM cdc.[fn_cdc_get_all_changes_sales_order]]lines_v2](@p1, @p2, N'all update old') ORDER BY __$start_lsn, __$seqval, __$operation

-- count
SELECT COUNT_BIG(*) FROM [sales].[order]]lines]

-- enable database
USE [Sales DB]; EXEC sys.sp_cdc_enable_db;

-- enable table
EXEC sys.sp_cdc_enable_table @source_schema = N'sales', @source_name = N'o''lines', @role_name = NULL;

