"""Documents people file and print (单据): invoices, provider settlement statements and disbursement
batches as PDF (a CJK font embedded) and XLSX/CSV with Chinese column names, from one `Document`
model each read model fills. Every export's text cells are neutralised against spreadsheet formulas."""
