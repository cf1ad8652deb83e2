Attribute VB_Name = "CYPS"
' cyps-xl ribbon callbacks. Each runs one cyps_xl function on the active workbook
' through xlwings' RunPython (the xlwings module of this add-in), telling it the
' xlwings this add-in was built with: a button stops, naming both, if Python has another.
Option Explicit

Const XLWINGS_BUILT As String = "{XLWINGS_VERSION}"

Sub CYPS_RefreshRatings(control As IRibbonControl)
    RunPython "import cyps_xl; cyps_xl.refresh_ratings(built_with='" & XLWINGS_BUILT & "')"
End Sub

Sub CYPS_UpdateBenchmarks(control As IRibbonControl)
    RunPython "import cyps_xl; cyps_xl.update_benchmarks(built_with='" & XLWINGS_BUILT & "')"
End Sub

Sub CYPS_CheckData(control As IRibbonControl)
    RunPython "import cyps_xl; cyps_xl.check_data(built_with='" & XLWINGS_BUILT & "')"
End Sub

Sub CYPS_ProduceIssue(control As IRibbonControl)
    RunPython "import cyps_xl; cyps_xl.produce_issue(built_with='" & XLWINGS_BUILT & "')"
End Sub

Sub CYPS_CheckSetup(control As IRibbonControl)
    ' What can be told without Python first: a click that starts no Python would say nothing.
    Dim interpreter As String
    interpreter = GetConfig("INTERPRETER_WIN", "")
    If interpreter = "" Then
        MsgBox "No Python is set for cyps-xl, so the buttons would run whatever 'python' is on the PATH " & _
               "(on many PCs the Microsoft Store's alias, which does nothing)." & vbCrLf & vbCrLf & _
               "In a Command Prompt, run: cyps-xl addin install" & vbCrLf & _
               "(it writes your Python into " & GetConfigFilePath() & ").", vbCritical, "cyps-xl: Check set-up"
        Exit Sub
    End If
    If Dir(interpreter) = "" Then
        MsgBox "The Python set for cyps-xl is not there: " & interpreter & vbCrLf & vbCrLf & _
               "Run 'cyps-xl addin install' with the Python you installed cyps-xl into.", vbCritical, _
               "cyps-xl: Check set-up"
        Exit Sub
    End If
    RunPython "import cyps_xl; cyps_xl.check_setup(built_with='" & XLWINGS_BUILT & "')"
End Sub
