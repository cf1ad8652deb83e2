Attribute VB_Name = "CYPS"
' cyps-xl ribbon callbacks. Each runs one cyps_xl function on the active workbook
' through xlwings' RunPython (the xlwings module of this add-in).
Option Explicit

Sub CYPS_RefreshRatings(control As IRibbonControl)
    RunPython "import cyps_xl; cyps_xl.refresh_ratings()"
End Sub

Sub CYPS_UpdateBenchmarks(control As IRibbonControl)
    RunPython "import cyps_xl; cyps_xl.update_benchmarks()"
End Sub

Sub CYPS_CheckData(control As IRibbonControl)
    RunPython "import cyps_xl; cyps_xl.check_data()"
End Sub

Sub CYPS_ProduceIssue(control As IRibbonControl)
    RunPython "import cyps_xl; cyps_xl.produce_issue()"
End Sub
